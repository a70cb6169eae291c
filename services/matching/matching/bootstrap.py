"""The one place the matching service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from pathlib import Path

from sanctuary.cli import run_background
from sanctuary.config import ServiceConfig, env_value
from sanctuary.runtime import Service, build_service

from matching.adapters.models import Base, Inbox, Outbox
from matching.config import from_env
from matching.entrypoints.clock import Clock
from matching.service_layer.handlers import HANDLERS


def bootstrap(config: ServiceConfig | None = None) -> Service:
    """Wire the service from `config` (or the environment). Opens no connection yet."""
    return build_service(
        config or from_env(),
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        handlers=HANDLERS,
        commands={"clock": _clock},
    )


def _clock(service: Service) -> Callable[[], None]:
    run_at = time.fromisoformat(env_value("MATCHING_RUN_AT", "06:00"))
    return lambda: run_background(Clock(service, run_at).run)
