"""Reminders: event.reminder_due for every confirmed registrant, a day and an hour
before the start, exactly once, however many clocks run.

Each event's reminders are decided under a lock on its row, and each sent reminder is a row
keyed by registration, reminder and start time, written in the same transaction as its
outbox message: a second clock waits, then finds them sent; a restarted clock finds them
sent; a moved event has a new start time and so new reminders; a cancelled event has no
confirmed registrations and is skipped.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sanctuary import contracts as c
from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import EventStatus, RegistrationStatus
from sqlalchemy import select
from sqlalchemy.orm import Session

from events import domain
from events.adapters.models import Event, Registration, ReminderSent

HORIZON = timedelta(hours=24)


def events_starting_soon(session: Session, now: datetime) -> list[uuid.UUID]:
    """The published events that start within the reminders' horizon."""
    return list(
        session.scalars(
            select(Event.id).where(
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at > now,
                Event.starts_at <= now + HORIZON,
            )
        )
    )


def announce_due(uow: UnitOfWork, event_id: uuid.UUID, now: datetime) -> int:
    """Announce the event's reminders due by `now` and not yet announced; returns how many."""
    session = uow.session
    event = session.get(Event, event_id, with_for_update=True)
    if event is None or event.status != EventStatus.PUBLISHED:
        return 0
    starts_at = as_utc(event.starts_at)
    due = domain.reminders_due(starts_at, now)
    if not due:
        return 0
    sent = {
        (r, k)
        for r, k in session.execute(
            select(ReminderSent.registration_id, ReminderSent.reminder).where(
                ReminderSent.starts_at == event.starts_at
            )
        )
    }
    count = 0
    for registration in session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED
        )
    ):
        for reminder in due:
            if (registration.id, reminder) in sent:
                continue
            session.add(
                ReminderSent(
                    registration_id=registration.id,
                    reminder=reminder,
                    starts_at=event.starts_at,
                    sent_at=now,
                )
            )
            uow.publish(
                c.EventReminderDue(
                    registration_id=registration.id,
                    event_id=event.id,
                    name=registration.name,
                    email=registration.email,
                    group_id=registration.group_id,
                    reminder=reminder,
                    starts_at=starts_at,
                )
            )
            count += 1
    return count
