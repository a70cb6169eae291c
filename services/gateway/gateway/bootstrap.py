"""The one place the gateway is wired together."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sanctuary import metrics
from sanctuary.contracts import ErasureRequested, PersonErased
from sanctuary.runtime import Service, build_service

from gateway.adapters import rate_limits
from gateway.adapters.models import Base, Inbox, Outbox
from gateway.config import GatewayConfig, from_env
from gateway.entrypoints.admin import seed_default_group
from gateway.service_layer import concerns, erasure_answers, my_data, privacy, sign_in


def bootstrap(config: GatewayConfig | None = None) -> Service:
    """Wire the gateway from `config` (or the environment). Opens no connection yet."""
    config = config or from_env()
    return build_service(
        config,
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        outbox_model=Outbox,
        inbox_model=Inbox,
        # Its worker hears each service's answer to an erasure (the completion matrix), and
        # the erasures a service starts itself (the retention schedule).
        handlers={
            PersonErased.TYPE: erasure_answers.on_person_erased,
            ErasureRequested.TYPE: partial(
                erasure_answers.on_erasure_requested, secret=config.link_secret
            ),
        },
        after_migrate=seed_default_group,
        housekeeping=_housekeeping,
        erasure_log=erasure_answers.logged_since,
    )


def _housekeeping(service: Service) -> None:
    """The relay's timed upkeep: the erasure gauges; expired links to people's own data
    deleted (the address is kept no longer than its link lives); sign-in counts a day old
    and ended rate-limit windows forgotten; urgent safeguarding concerns escalated."""
    _erasure_gauges(service)
    with service.unit_of_work() as uow:
        my_data.prune(uow)
        sign_in.prune(uow.session, datetime.now(UTC))
    with service.unit_of_work() as uow:  # urgent concerns an hour unacknowledged (ADR 45)
        now = datetime.now(UTC)
        concerns.escalate_due(uow, now)
        concerns.purge_closed(uow, service.config.retention.cutoff("safeguarding", now))
    rate_limits.prune(service.engine)


def _erasure_gauges(service: Service) -> None:
    """Erasures still pending, and how old the oldest is, for the overdue-erasure alert."""
    with service.sessions() as session:
        count, age = privacy.pending(session)
    metrics.ERASURES_PENDING.labels("gateway").set(count)
    metrics.ERASURE_OLDEST_PENDING_SECONDS.labels("gateway").set(age)
