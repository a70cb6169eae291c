"""What the shared process commands need to know about a service, built by its bootstrap()."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, MetaData

from sanctuary.config import ServiceConfig
from sanctuary.db import SessionFactory, make_engine, session_factory
from sanctuary.erasure import ErasureLogReader, TombstoneMixin
from sanctuary.erasure_guard import guarded
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.unit_of_work import Handler, UnitOfWork, unit_of_work


@dataclass(frozen=True)
class Service:
    """One service, wired: its configuration, database, models, handlers and extra commands."""

    config: ServiceConfig
    engine: Engine
    sessions: SessionFactory
    metadata: MetaData
    migrations: Path
    outbox_model: type[OutboxMixin]
    # None for a service that consumes nothing (the gateway).
    inbox_model: type[InboxMixin] | None
    handlers: Mapping[str, Handler]
    # Process types beyond web/worker/relay, e.g. notifications' mailer: name -> run(stop_flag).
    commands: Mapping[str, Callable[[Service], Callable[[], None]]] = field(default_factory=dict)
    # What `migrate` does once the schema is current, e.g. the gateway's default group.
    after_migrate: Callable[[Service], None] | None = None
    # Timed upkeep the relay runs every few seconds, e.g. the gateway's erasure gauges.
    housekeeping: Callable[[Service], None] | None = None
    # Its erasures since a time, from its own log: what `erasures reapply` announces again.
    erasure_log: ErasureLogReader | None = None

    def unit_of_work(self, correlation_id: str | None = None) -> AbstractContextManager[UnitOfWork]:
        """A transaction that announces through this service's outbox (a new correlation id
        unless one is given): what web routes, clock ticks and commands change state with."""
        return unit_of_work(self.sessions, self.outbox_model, correlation_id)


def build_service(
    config: ServiceConfig,
    *,
    metadata: MetaData,
    migrations: Path,
    outbox_model: type[OutboxMixin],
    inbox_model: type[InboxMixin] | None,
    handlers: Mapping[str, Handler],
    commands: Mapping[str, Callable[[Service], Callable[[], None]]] | None = None,
    after_migrate: Callable[[Service], None] | None = None,
    tombstone_model: type[TombstoneMixin] | None = None,
    housekeeping: Callable[[Service], None] | None = None,
    erasure_log: ErasureLogReader | None = None,
) -> Service:
    """Wire a service: its engine and session factory from the configuration. Connects lazily.
    With a tombstone model, every handler is behind the erasure guard (`sanctuary.erasure`)."""
    engine = make_engine(config.database_url)
    if tombstone_model is not None:
        handlers = guarded(handlers, tombstone_model, config.link_secret)
    return Service(
        config=config,
        engine=engine,
        sessions=session_factory(engine),
        metadata=metadata,
        migrations=migrations,
        outbox_model=outbox_model,
        inbox_model=inbox_model,
        handlers=handlers,
        commands=commands or {},
        after_migrate=after_migrate,
        housekeeping=housekeeping,
        erasure_log=erasure_log,
    )
