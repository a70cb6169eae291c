"""Notifications' part of the retention schedule (sanctuary.retention, ADR 0028): an email
loses its address and its words RETAIN_SENT_EMAILS_DAYS after it was written (its template,
status, group and times stay, for the counts), and the people holding a place at an event
are forgotten RETAIN_REGISTRATIONS_DAYS after it ended."""

from __future__ import annotations

from datetime import datetime

from sanctuary.retention import Retention
from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import delete, select

from notifications.adapters.models import Delivery, EventCopy, Registrant
from notifications.service_layer.privacy import WAITING, anonymise

# At most this many emails a pass, so one transaction stays small.
BATCH = 1000


def apply(uow: UnitOfWork, now: datetime, periods: Retention) -> dict[str, int]:
    """Blank the old emails and forget the registrants of events long over: how many."""
    old = uow.session.scalars(
        select(Delivery)
        .where(
            Delivery.created_at < periods.cutoff("sent_emails", now),
            Delivery.to_address != "",
            Delivery.status.not_in(WAITING),  # one still being tried is not done with
        )
        .limit(BATCH)
    )
    emails = 0
    for delivery in old:
        anonymise(delivery)
        emails += 1
    over = select(EventCopy.id).where(EventCopy.ends_at < periods.cutoff("registrations", now))
    gone = uow.session.execute(delete(Registrant).where(Registrant.event_id.in_(over)))
    return {"emails": emails, "registrants": int(gone.rowcount or 0)}  # type: ignore[attr-defined]
