"""The one place the gateway is wired together."""

from __future__ import annotations

from pathlib import Path

from sanctuary.runtime import Service, build_service

from gateway.adapters.models import Base, Outbox
from gateway.config import GatewayConfig, from_env
from gateway.entrypoints.admin import seed_default_group


def bootstrap(config: GatewayConfig | None = None) -> Service:
    """Wire the gateway from `config` (or the environment). Opens no connection yet."""
    return build_service(
        config or from_env(),
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=None,  # the gateway publishes; it consumes nothing
        handlers={},
        after_migrate=seed_default_group,
    )
