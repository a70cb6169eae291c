"""Events made straight in the events service's tables, for the tests that need one to exist
(reminders, stopping the clock)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from events.adapters.models import Event, Registration
from sanctuary.runtime import Service
from sanctuary.vocabulary import EventKind, EventStatus, RegistrationStatus


def an_event(
    events: Service,
    starts_at: datetime,
    registrants: int = 3,
    group_id: uuid.UUID | None = None,
    registrants_group_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A published webinar of `group_id` (None: national) with `registrants` confirmed
    places, each of `registrants_group_id`."""
    event_id = uuid.uuid4()
    with events.sessions.begin() as session:
        session.add(
            Event(
                id=event_id,
                title="Welcome webinar",
                description="",
                kind=EventKind.WEBINAR,
                topic=None,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                timezone="Europe/London",
                capacity=10,
                confirmed=registrants,
                online_url="https://m.example/x",
                location=None,
                registration_closes_at=None,
                status=EventStatus.PUBLISHED,
                sequence=0,
                created_at=datetime.now(UTC),
                group_id=group_id,
            )
        )
        session.flush()
        for i in range(registrants):
            session.add(
                Registration(
                    id=uuid.uuid4(),
                    event_id=event_id,
                    name=f"P{i}",
                    email=f"p{i}@example.org",
                    volunteer_id=None,
                    newcomer_id=None,
                    status=RegistrationStatus.CONFIRMED,
                    reason=None,
                    existing_registration_id=None,
                    queued_at=datetime.now(UTC),
                    decided_at=datetime.now(UTC),
                    group_id=registrants_group_id,
                )
            )
    return event_id
