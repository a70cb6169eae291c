"""Calendar invites: made when sent, checked when planned."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from ical.calendar_stream import IcsCalendarStream
from notifications.domain import invites

DETAILS: dict[str, Any] = {
    "event_id": str(uuid.uuid4()),
    "sequence": 2,
    "title": "Safeguarding",
    "starts_at": "2026-12-05T10:30:00+00:00",
    "ends_at": "2026-12-05T12:30:00+00:00",
    "stamped_at": "2026-12-01T09:00:00+00:00",
    "location": "Leeds",
    "online_url": None,
}


def test_an_invite_carries_the_events_uid_and_sequence() -> None:
    """A calendar updates the entry it has instead of adding another."""
    ics = invites.invite(
        DETAILS, method="REQUEST", organiser=("Leeds", "leeds@example.org"), attendee="a@b.example"
    ).decode()
    assert f"UID:{DETAILS['event_id']}@sanctuary-network" in ics
    assert "SEQUENCE:2" in ics


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invite_is_addressed_to_its_reader_by_the_group(method: str) -> None:
    """RFC 5546: a REQUEST and a CANCEL name one or more attendees; mail clients offer to add
    an invite only when the reader is one. Read back by ical, a second, strict parser; a
    group's name with quotes and Arabic survives (RFC 6868 escaping)."""
    name = 'Leeds "Welcome" ليدز'
    ics = invites.invite(
        DETAILS, method=method, organiser=(name, "leeds@example.org"), attendee="ana@example.org"
    ).decode()
    calendar = IcsCalendarStream.calendar_from_ics(ics)
    [event] = calendar.events
    assert calendar.method == method
    [reader] = event.attendees
    assert (reader.uri, reader.role, reader.rsvp) == (
        "mailto:ana@example.org",
        "REQ-PARTICIPANT",
        False,
    )
    assert reader.status == ("ACCEPTED" if method == "REQUEST" else None)
    assert event.organizer is not None
    assert (event.organizer.uri, event.organizer.common_name) == ("mailto:leeds@example.org", name)


def test_details_an_invite_can_be_made_from_pass_the_check() -> None:
    invites.check(DETAILS)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"title": None}, KeyError),
        ({"sequence": "x"}, TypeError),
        ({"starts_at": "Saturday morning"}, ValueError),
    ],
)
def test_details_no_invite_can_be_made_from_fail_when_planned(
    change: dict[str, Any], error: type[Exception]
) -> None:
    """Planning raises, so the message parks with the reason; nothing fails at send time."""
    with pytest.raises(error):
        invites.check({**DETAILS, **change})
