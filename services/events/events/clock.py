"""The events clock: event.reminder_due for every confirmed registrant, a day and an hour
before the start, exactly once, however many clocks run.

Each event's reminders are decided under a lock on its row, and each sent reminder is a row
keyed by registration, reminder and start time, written in the same transaction as its
outbox message: a second clock waits, then finds them sent; a restarted clock finds them
sent; a moved event has a new start time and so new reminders; a cancelled event has no
confirmed registrations and is skipped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sanctuary import contracts as c
from sanctuary.consumer import describe
from sanctuary.db import SessionFactory, as_utc
from sanctuary.outbox import enqueue
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from events import domain
from events.models import Event, Outbox, Registration, ReminderSent

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0
HORIZON = timedelta(hours=24)


class Clock:
    """Announces due reminders every tick."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def tick(self, now: datetime, stopping: threading.Event | None = None) -> int:
        """Announce every reminder due by `now` and not yet announced; returns how many.
        Once `stopping` is set, ends after the event in hand: the next tick does the rest."""
        with self.sessions() as session:
            soon = list(
                session.scalars(
                    select(Event.id).where(
                        Event.status == "published",
                        Event.starts_at > now,
                        Event.starts_at <= now + HORIZON,
                    )
                )
            )
        return sum(
            self._remind(event_id, now)
            for event_id in soon
            if stopping is None or not stopping.is_set()
        )

    def _remind(self, event_id: uuid.UUID, now: datetime) -> int:
        correlation_id = str(uuid.uuid4())
        with self.sessions.begin() as session:
            event = session.get(Event, event_id, with_for_update=True)
            if event is None or event.status != "published":
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
                    Registration.event_id == event.id, Registration.status == "confirmed"
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
                    enqueue(
                        session,
                        Outbox,
                        c.EventReminderDue(
                            registration_id=registration.id,
                            event_id=event.id,
                            name=registration.name,
                            email=registration.email,
                            reminder=reminder,
                            starts_at=starts_at,
                        ),
                        correlation_id=correlation_id,
                    )
                    count += 1
            return count

    def run(self, stopping: threading.Event) -> None:
        """Tick until `stopping` is set."""
        log.info("events clock started")
        while not stopping.is_set():
            try:
                sent = self.tick(datetime.now(UTC), stopping)
                if sent:
                    log.info("announced %d reminders", sent)
            except SQLAlchemyError as exc:
                log.warning("events clock cannot reach its database: %s", describe(exc))
            stopping.wait(TICK_SECONDS)
        log.info("events clock stopped")
