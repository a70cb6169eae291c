"""Reminders a day and an hour before: exactly once per person and reminder.

Real: PostgreSQL (a private database) and two events clocks ticking at the same moment.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from event_factories import an_event
from events.adapters.models import Event, Outbox
from events.entrypoints.clock import Clock
from sanctuary.runtime import Service
from sqlalchemy import select, update

pytestmark = pytest.mark.integration


def reminders(events: Service) -> Counter[str]:
    import json

    with events.sessions() as session:
        bodies = session.scalars(select(Outbox.body).where(Outbox.type == "event.reminder_due"))
        return Counter(
            f"{json.loads(b)['registration_id']}:{json.loads(b)['reminder']}" for b in bodies
        )


def test_two_clocks_ticking_at_once_send_each_reminder_exactly_once(events: Service) -> None:
    """Both race through the same due reminders; every person gets one."""
    now = datetime.now(UTC)
    an_event(events, now + timedelta(hours=23))
    clocks = [Clock(events), Clock(events)]
    barrier = threading.Barrier(2)

    def tick(clock: Clock) -> None:
        barrier.wait()
        clock.tick(now)

    threads = [threading.Thread(target=tick, args=(c,)) for c in clocks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    Clock(events).tick(now)  # and a restarted clock finds nothing left to send
    sent = reminders(events)
    assert len(sent) == 3
    assert set(sent.values()) == {1}


def test_a_moved_event_reminds_at_its_new_time_and_a_cancelled_one_not_at_all(
    events: Service,
) -> None:
    """The day-before reminder goes again for the new start; cancellation silences it."""
    now = datetime.now(UTC)
    moved = an_event(events, now + timedelta(hours=20), registrants=1)
    cancelled = an_event(events, now + timedelta(hours=20), registrants=1)
    with events.sessions.begin() as session:
        session.execute(update(Event).where(Event.id == cancelled).values(status="cancelled"))
    Clock(events).tick(now)
    assert sum(reminders(events).values()) == 1
    with events.sessions.begin() as session:
        session.execute(
            update(Event).where(Event.id == moved).values(starts_at=now + timedelta(days=3))
        )
    Clock(events).tick(now)
    assert sum(reminders(events).values()) == 1  # not due yet at the new time
    Clock(events).tick(now + timedelta(days=2, hours=1))
    assert sum(reminders(events).values()) == 2


def test_reminders_across_the_change_to_summer_time_come_24_hours_before(
    events: Service,
) -> None:
    """An event at 10:00 London time on the first day of summer time: reminded once, at
    09:00 UTC the day before (24 real hours), not an hour off, and never twice."""
    starts = datetime(2027, 3, 28, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    an_event(events, starts.astimezone(UTC), registrants=1)
    just_before = starts.astimezone(UTC) - timedelta(hours=24, seconds=1)
    Clock(events).tick(just_before)
    assert sum(reminders(events).values()) == 0
    for minutes in range(0, 180, 30):
        Clock(events).tick(just_before + timedelta(seconds=1, minutes=minutes))
    assert sum(reminders(events).values()) == 1
