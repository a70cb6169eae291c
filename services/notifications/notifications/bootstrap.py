"""The one place the notifications service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sanctuary.cli import run_background
from sanctuary.runtime import Service, build_service

from notifications.config import NotificationsConfig, from_env
from notifications.handlers import HANDLERS
from notifications.mailer import Mailer
from notifications.models import Base, Inbox, Outbox


def _mailer(service: Service) -> Callable[[], None]:
    config = service.config
    assert isinstance(config, NotificationsConfig)
    return lambda: run_background(Mailer(service.sessions, config).run)


def bootstrap(config: NotificationsConfig | None = None) -> Service:
    """Wire the service from `config` (or the environment). Opens no connection yet."""
    return build_service(
        config or from_env(),
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        handlers=HANDLERS,
        commands={"mailer": _mailer},
    )
