"""The events use cases through a unit of work on a throwaway SQLite file: what each decides
and announces, in milliseconds, with no broker and no server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from events.adapters.models import Base, Outbox, Registration
from events.service_layer import registrations, scheduling
from sanctuary import contracts as c
from sanctuary.db import make_engine, session_factory
from sanctuary.links import cancel_token
from sanctuary.unit_of_work import UnitOfWork, unit_of_work

SECRET = "test-link-secret"
STARTS = datetime.now(UTC) + timedelta(days=7)
Units = Callable[[], AbstractContextManager[UnitOfWork]]


@pytest.fixture
def units(tmp_path: Path) -> Iterator[Units]:
    """Units of work on a fresh events database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'events.db'}")
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    yield lambda: unit_of_work(sessions, Outbox)
    engine.dispose()


def scheduled(units: Units, capacity: int) -> uuid.UUID:
    with units() as uow:
        event = scheduling.schedule(
            uow,
            {
                "title": "Safeguarding",
                "description": "",
                "kind": "training",
                "topic": "safeguarding",
                "starts_at": STARTS,
                "ends_at": STARTS + timedelta(hours=2),
                "timezone": "Europe/London",
                "capacity": capacity,
                "online_url": None,
                "location": "Leeds",
                "registration_closes_at": None,
            },
        )
        assert [type(f) for f in uow.published] == [c.EventScheduled]
    return event.id


def requested(units: Units, event_id: uuid.UUID, email: str) -> tuple[uuid.UUID, list[Any]]:
    registration_id = uuid.uuid4()
    with units() as uow:
        registrations.decide(
            uow,
            c.RegistrationRequested(
                registration_id=registration_id,
                event_id=event_id,
                name="Someone",
                email=email,
                requested_at=datetime.now(UTC),
            ),
        )
    return registration_id, uow.published


def test_the_last_place_is_confirmed_and_the_next_person_waits_first_in_line(units: Units) -> None:
    """One place: the first is confirmed, the second waitlisted at position 1."""
    event_id = scheduled(units, capacity=1)
    _, first = requested(units, event_id, "a@example.org")
    _, second = requested(units, event_id, "b@example.org")
    assert [type(f) for f in first] == [c.RegistrationConfirmed]
    assert [(type(f), f.position) for f in second] == [(c.RegistrationWaitlisted, 1)]


def test_a_cancellation_gives_the_place_to_the_first_person_waiting(units: Units) -> None:
    """Cancelled, then promoted, announced in that order by the one unit of work."""
    event_id = scheduled(units, capacity=1)
    first, _ = requested(units, event_id, "a@example.org")
    waiting, _ = requested(units, event_id, "b@example.org")
    with units() as uow:
        registrations.cancel(uow, first, cancel_token(SECRET, first), SECRET)
    assert [(type(f), f.registration_id) for f in uow.published] == [
        (c.RegistrationCancelled, first),
        (c.RegistrationPromoted, waiting),
    ]


def test_a_wrong_cancel_token_changes_and_announces_nothing(units: Units) -> None:
    """The use case raises before any fact; the unit of work rolls back."""
    event_id = scheduled(units, capacity=1)
    first, _ = requested(units, event_id, "a@example.org")
    with pytest.raises(registrations.WrongToken), units() as uow:
        registrations.cancel(uow, first, "not-the-token", SECRET)
    assert uow.published == []
    with units() as uow:
        registration = uow.session.get(Registration, first)
        assert registration is not None
        assert registration.status == "confirmed"
