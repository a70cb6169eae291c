"""The one place the notifications service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from sanctuary import erasure, erasure_records, retention
from sanctuary.cli import run_background
from sanctuary.contracts import ErasureRequested
from sanctuary.runtime import Service, build_service
from sanctuary.unit_of_work import Handler

from notifications.adapters.models import Base, ErasureLog, Inbox, Outbox, Tombstone
from notifications.config import NotificationsConfig, from_env
from notifications.entrypoints.mailer import Mailer
from notifications.service_layer import privacy
from notifications.service_layer import retention as expiry
from notifications.service_layer.handlers import HANDLERS


def _mailer(service: Service) -> Callable[[], None]:
    config = service.config
    assert isinstance(config, NotificationsConfig)
    return lambda: run_background(Mailer(service.engine, config).run)


def _on_erasure_requested(config: NotificationsConfig) -> Handler:
    """person.erasure_requested: erase here, then (once the confirmation is out, see
    privacy.finish_erasures) announce person.erased."""
    return erasure.handler(
        "notifications",
        partial(privacy.erase, config.link_secret),
        Tombstone,
        ErasureLog,
        erasure_records.sweeper(
            config.amqp_url, "notifications", config.retry_delays_ms, config.link_secret
        ),
    )


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
        handlers={**HANDLERS, ErasureRequested.TYPE: _on_erasure_requested(config)},
        commands={"mailer": _mailer},
        tombstone_model=Tombstone,
        erasure_log=erasure.log_reader(ErasureLog),
        # The relay's housekeeping: notifications' part of the retention schedule.
        housekeeping=retention.housekeeping(
            lambda uow, now: expiry.apply(uow, now, config.retention)
        ),
    )
