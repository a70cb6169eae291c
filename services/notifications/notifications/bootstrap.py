"""The one place the notifications service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sanctuary.cli import run_background
from sanctuary.runtime import Service, build_service

from notifications.adapters.models import Base, Inbox, Outbox
from notifications.config import NotificationsConfig, from_env
from notifications.entrypoints.mailer import Mailer
from notifications.service_layer.handlers import HANDLERS


def _mailer(service: Service) -> Callable[[], None]:
    config = service.config
    assert isinstance(config, NotificationsConfig)
    return lambda: run_background(Mailer(service.engine, config).run)


def bootstrap(config: NotificationsConfig | None = None) -> Service:
    """Wire the service from `config` (or the environment). Opens no connection yet."""
    config = config or from_env()
    if not isinstance(config, NotificationsConfig):  # plain common settings: defaults for ours
        config = NotificationsConfig(**vars(config))
    return build_service(
        config,
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        handlers=HANDLERS,
        commands={"mailer": _mailer},
    )
