"""The one place the events service is wired together."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from sanctuary import erasure, erasure_records, retention
from sanctuary.cli import run_background
from sanctuary.config import ServiceConfig
from sanctuary.contracts import ErasureRequested
from sanctuary.runtime import Service, build_service

from events.adapters.models import Base, ErasureLog, Inbox, Outbox, Tombstone
from events.config import from_env
from events.entrypoints.clock import Clock
from events.service_layer import privacy
from events.service_layer import retention as expiry
from events.service_layer.handlers import HANDLERS


def bootstrap(config: ServiceConfig | None = None) -> Service:
    """Wire the service from `config` (or the environment). Opens no connection yet."""
    config = config or from_env()
    on_erasure_requested = erasure.handler(
        "events",
        partial(privacy.erase, secret=config.link_secret),
        Tombstone,
        ErasureLog,
        erasure_records.sweeper(
            config.amqp_url, "events", config.retry_delays_ms, config.link_secret
        ),
    )
    return build_service(
        config,
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        handlers={**HANDLERS, ErasureRequested.TYPE: on_erasure_requested},
        commands={"clock": lambda service: lambda: run_background(Clock(service).run)},
        tombstone_model=Tombstone,
        erasure_log=erasure.log_reader(ErasureLog),
        # The relay's housekeeping: the events service's part of the retention schedule.
        housekeeping=retention.housekeeping(
            lambda uow, now: expiry.apply(uow, now, config.retention)
        ),
    )
