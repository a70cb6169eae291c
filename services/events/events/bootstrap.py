"""The one place the events service is wired together."""

from __future__ import annotations

from pathlib import Path

from sanctuary.cli import run_background
from sanctuary.config import ServiceConfig
from sanctuary.runtime import Service, build_service

from events.adapters.models import Base, Inbox, Outbox
from events.config import from_env
from events.entrypoints.clock import Clock
from events.service_layer.handlers import HANDLERS


def bootstrap(config: ServiceConfig | None = None) -> Service:
    """Wire the service from `config` (or the environment). Opens no connection yet."""
    return build_service(
        config or from_env(),
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        handlers=HANDLERS,
        commands={"clock": lambda service: lambda: run_background(Clock(service).run)},
    )
