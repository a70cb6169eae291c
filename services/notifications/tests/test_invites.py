"""Calendar invites: made when sent, checked when planned."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
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
    ics = invites.invite(DETAILS, method="REQUEST", organiser="leeds@example.org").decode()
    assert f"UID:{DETAILS['event_id']}@sanctuary-network" in ics
    assert "SEQUENCE:2" in ics
    assert "mailto:leeds@example.org" in ics


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
