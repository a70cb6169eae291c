"""Planning an email: a pending delivery, unless one for the same purpose exists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sanctuary.consumer import Context, PermanentError, describe
from sqlalchemy import select

from notifications import domain, mail, mailer
from notifications.models import Delivery

# Renders are checked with these; the mailer renders again with the real ones.
CHECK_SENDER = "render-check@localhost"
CHECK_SECRET = "render-check"  # noqa: S105 (not a secret: the links made with it are dropped)
CHECK_BASE_URL = "https://render-check.invalid"


def plan(ctx: Context, email: domain.PlannedEmail) -> None:
    """Record `email` as pending unless an email for the same purpose exists already."""
    existing = ctx.session.scalar(
        select(Delivery.id).where(Delivery.dedupe_key == email.dedupe_key)
    )
    if existing is not None:
        return
    context = {**email.context, "locale": email.locale}
    try:
        # Rendered once now, so an email that can never be rendered parks its message with
        # the reason (and can be replayed after the fix) instead of failing in the mailer.
        full, _ = mailer.send_context(
            email.template,
            context,
            email.to_address,
            link_secret=CHECK_SECRET,
            base_url=CHECK_BASE_URL,
        )
        mail.render(
            email.template, full, to=email.to_address, sender=CHECK_SENDER, message_id="check"
        )
    except Exception as exc:  # rendering is pure: any error would happen every time
        raise PermanentError(f"cannot render {email.template}: {describe(exc)}") from exc
    now = datetime.now(UTC)
    ctx.session.add(
        Delivery(
            id=uuid.uuid4(),
            dedupe_key=email.dedupe_key,
            template=email.template,
            to_address=email.to_address,
            locale=email.locale,
            # The language travels with the context too: rendering needs nothing else.
            context=context,
            status=domain.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            correlation_id=ctx.correlation_id,
            created_at=now,
            sent_at=None,
        )
    )
