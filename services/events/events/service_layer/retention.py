"""The events service's part of the retention schedule (sanctuary.retention, ADR 0028): the
places at an event lose their name and address RETAIN_REGISTRATIONS_DAYS after it ended (a
request for an event that never existed, as long after it was refused).
Their ids, status and attendance stay, for the anonymous counts."""

from __future__ import annotations

from datetime import datetime

from sanctuary.retention import Retention
from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import and_, or_, select

from events.adapters.models import Event, Registration

# At most this many places a pass, so one transaction stays small.
BATCH = 1000


def apply(uow: UnitOfWork, now: datetime, periods: Retention) -> dict[str, int]:
    """Blank the places of events that ended before the cutoff: how many."""
    cutoff = periods.cutoff("registrations", now)
    due = uow.session.scalars(
        select(Registration)
        .outerjoin(Event, Event.id == Registration.event_id)
        .where(
            Registration.email != "",
            # After the event; a request for an event that never existed, after its refusal.
            or_(Event.ends_at < cutoff, and_(Event.id.is_(None), Registration.decided_at < cutoff)),
        )
        .limit(BATCH)
    )
    blanked = 0
    for registration in due:
        registration.name, registration.email = "", ""
        blanked += 1
    return {"registrations": blanked}
