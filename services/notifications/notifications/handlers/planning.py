"""Planning an email: a pending delivery, unless one for the same purpose exists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sanctuary.consumer import Context
from sqlalchemy import select

from notifications import domain
from notifications.models import Delivery


def plan(ctx: Context, email: domain.PlannedEmail) -> None:
    """Record `email` as pending unless an email for the same purpose exists already."""
    existing = ctx.session.scalar(
        select(Delivery.id).where(Delivery.dedupe_key == email.dedupe_key)
    )
    if existing is not None:
        return
    now = datetime.now(UTC)
    ctx.session.add(
        Delivery(
            id=uuid.uuid4(),
            dedupe_key=email.dedupe_key,
            template=email.template,
            to_address=email.to_address,
            locale=email.locale,
            # The language travels with the context too: rendering needs nothing else.
            context={**email.context, "locale": email.locale},
            status=domain.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            correlation_id=ctx.correlation_id,
            created_at=now,
            sent_at=None,
        )
    )
