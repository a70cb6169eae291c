"""The waiting-list rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from events.domain import EventState, decide, free_places

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def event(**changes: object) -> EventState:
    fields = {
        "status": "published",
        "capacity": 2,
        "confirmed": 0,
        "registration_closes_at": None,
        **changes,
    }
    return EventState(**fields)  # type: ignore[arg-type]


def test_places_are_given_until_the_event_is_full_then_people_wait() -> None:
    """confirmed below capacity, waitlisted at it."""
    assert decide(event(confirmed=1), None, NOW).status == "confirmed"
    assert decide(event(confirmed=2), None, NOW).status == "waitlisted"


def test_a_second_request_from_the_same_person_is_rejected_but_shown_as_a_new_one() -> None:
    """Never two places; the decision keeps which registration holds it, and what a new
    request would have been told (ADR 31): the asker learns nothing about the address."""
    first = uuid.uuid4()
    decision = decide(event(), first, NOW)
    assert (decision.status, decision.reason, decision.existing_registration_id) == (
        "rejected",
        "already_registered",
        first,
    )
    assert decision.shown_as == "confirmed"
    assert decide(event(confirmed=2), first, NOW).shown_as == "waitlisted"


def test_what_is_about_the_event_is_answered_the_same_to_everyone() -> None:
    """A closed or cancelled event says so whether or not the address holds a place there."""
    closed = event(registration_closes_at=NOW - timedelta(minutes=1))
    assert decide(closed, uuid.uuid4(), NOW).reason == "registration_closed"
    assert decide(event(status="cancelled"), uuid.uuid4(), NOW).reason == "event_cancelled"


def test_unknown_cancelled_and_closed_events_reject_with_the_reason() -> None:
    """Each with its own reason, shown at the status URL."""
    assert decide(None, None, NOW).reason == "unknown_event"
    assert decide(event(status="cancelled"), None, NOW).reason == "event_cancelled"
    closed = event(registration_closes_at=NOW - timedelta(minutes=1))
    assert decide(closed, None, NOW).reason == "registration_closed"
    assert decide(event(registration_closes_at=NOW), None, NOW).status == "confirmed"


def test_free_places_never_go_below_zero() -> None:
    """A lowered capacity promotes nobody."""
    assert free_places(5, 3) == 2
    assert free_places(3, 5) == 0


def test_reminders_fall_due_a_day_and_an_hour_before_and_never_after_the_start() -> None:
    """24 h and 1 h before, in absolute time."""
    from events.domain import reminders_due

    starts = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)  # 10:00 in London, first day of BST
    assert reminders_due(starts, starts - timedelta(hours=25)) == []
    assert reminders_due(starts, starts - timedelta(hours=24)) == ["day"]
    assert reminders_due(starts, starts - timedelta(minutes=59)) == ["day", "hour"]
    assert reminders_due(starts, starts) == []


def test_a_time_zone_folder_or_an_overlong_name_is_refused_not_a_crash() -> None:
    """ZoneInfo('Europe') raises IsADirectoryError where tzdata is installed: a 422, not a 500."""
    from sanctuary.bodies.events import NewEventSchema

    for zone in ("Europe", "x" * 300):
        errors = NewEventSchema().validate({"timezone": zone})
        assert errors["timezone"] == ["Not an IANA time zone such as Europe/London."]
