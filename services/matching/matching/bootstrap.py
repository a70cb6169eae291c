"""The one place the matching service is wired together."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import time
from pathlib import Path

from sanctuary import erasure, erasure_records, retention
from sanctuary.cli import run_background
from sanctuary.config import ServiceConfig, env_value
from sanctuary.contracts import ErasureRequested
from sanctuary.runtime import Service, build_service
from sanctuary.unit_of_work import Handler

from matching.adapters.models import Base, ErasureLog, Inbox, Outbox, Tombstone
from matching.config import from_env
from matching.entrypoints.clock import Clock
from matching.service_layer import privacy
from matching.service_layer import retention as expiry
from matching.service_layer.handlers import HANDLERS


def bootstrap(config: ServiceConfig | None = None) -> Service:
    """Wire the service from `config` (or the environment). Opens no connection yet."""
    config = config or from_env()
    return build_service(
        config,
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        handlers={**HANDLERS, ErasureRequested.TYPE: _erasure_handler(config)},
        commands={"clock": _clock},
        tombstone_model=Tombstone,
        erasure_log=erasure.log_reader(ErasureLog),
        housekeeping=_retention(config),
    )


def _erasure_handler(config: ServiceConfig) -> Handler:
    """person.erasure_requested: matching's `erase` inside the shared handler (ADR 0025)."""
    return erasure.handler(
        "matching",
        functools.partial(privacy.erase, secret=config.link_secret),
        Tombstone,
        ErasureLog,
        erasure_records.sweeper(
            config.amqp_url, "matching", config.retry_delays_ms, config.link_secret
        ),
    )


def _retention(config: ServiceConfig) -> Callable[[Service], None]:
    """The relay's housekeeping: matching's part of the retention schedule, a person expired
    erased through the same handler as any erasure (ADR 0028)."""
    erase = _erasure_handler(config)
    return retention.housekeeping(lambda uow, now: expiry.apply(uow, now, config.retention, erase))


def _clock(service: Service) -> Callable[[], None]:
    run_at = time.fromisoformat(env_value("MATCHING_RUN_AT", "06:00"))
    return lambda: run_background(Clock(service, run_at).run)
