"""Whom a coordinator must phone, and when the call is done: the pure rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from matching.domain import calls
from sanctuary.vocabulary import NewcomerStatus

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("email", "referrer", "phone", "only"),
    [
        (None, None, "+441134960123", True),
        ("y@example.org", None, "+441134960123", False),
        (None, "w@example.org", "+441134960123", False),
        (None, None, None, False),
    ],
)
def test_a_phone_is_the_only_way_only_without_any_email(
    email: str | None, referrer: str | None, phone: str | None, only: bool
) -> None:
    assert calls.by_phone_only(email, referrer, phone) is only


@pytest.mark.parametrize(
    ("status", "called", "approved", "owed"),
    [
        (NewcomerStatus.WAITING, None, None, calls.REQUEST),
        (NewcomerStatus.WAITING, T0, None, None),
        (NewcomerStatus.PROPOSED, T0, None, None),
        # Approved before anyone called: the introduction says the request arrived too.
        (NewcomerStatus.MATCHED, None, T0, calls.INTRODUCTION),
        (NewcomerStatus.MATCHED, T0, T0 + HOUR, calls.INTRODUCTION),
        (NewcomerStatus.MATCHED, T0 + 2 * HOUR, T0 + HOUR, None),
        (NewcomerStatus.CLOSED, None, None, None),
        (NewcomerStatus.ERASED, None, T0, None),
    ],
)
def test_the_call_owed(
    status: str, called: datetime | None, approved: datetime | None, owed: str | None
) -> None:
    assert calls.due(status, called, approved) == owed
