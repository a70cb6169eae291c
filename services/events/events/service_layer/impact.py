"""What events counts for the impact report (ADR 42), in the transaction of each change: each
decision about a place, on its day, by the registrant's group; each event held with its
places, on the day it takes place, by its own group; and on that day too, by the
registrant's group, the places taken and who came (the attendance rate). Counts only."""

from __future__ import annotations

from datetime import datetime

from sanctuary import tallies
from sanctuary.db import as_utc
from sanctuary.vocabulary import EventMeasure, RegistrationStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from events.adapters.models import Event, Registration, Tally


def tally(
    session: Session,
    registration: Registration,
    event: Event,
    measure: str,
    now: datetime,
    n: int = 1,
) -> None:
    """Count it for the impact report, by the registrant's group and the event's kind."""
    tallies.count(session, Tally, now, registration.group_id, event.kind, measure, n)


def taken(session: Session, registration: Registration, event: Event, n: int) -> None:
    """A place at the event taken (1) or given up (-1), on the event's day."""
    tally(session, registration, event, EventMeasure.TAKEN, as_utc(event.starts_at), n)


# What an event is counted as held by (its day, its places): a change of one counts it again.
HELD_BY = frozenset(("starts_at", "capacity"))


def held(session: Session, event: Event, n: int) -> None:
    """Count the event (n=1) as held on its day with its places and the places taken, or take
    it back (n=-1: it moved, changed its capacity or was cancelled)."""
    day, group = as_utc(event.starts_at), event.group_id
    tallies.count(session, Tally, day, group, event.kind, EventMeasure.HELD, n)
    tallies.count(session, Tally, day, group, event.kind, EventMeasure.PLACES, n * event.capacity)
    places = session.execute(
        select(Registration.group_id, func.count())
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.group_id)
    )
    for registrants, many in places:
        tallies.count(session, Tally, day, registrants, event.kind, EventMeasure.TAKEN, n * many)
