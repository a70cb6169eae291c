"""Which email a fact calls for, and how patiently to retry: pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sanctuary.contracts import VolunteerRegistered

PENDING, SENT, FAILED = "pending", "sent", "failed"
WELCOME = "volunteer_welcome"
DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class PlannedEmail:
    """An email decided on, not yet sent."""

    template: str
    dedupe_key: str
    to_address: str
    locale: str
    context: dict[str, Any]


def welcome(event: VolunteerRegistered) -> PlannedEmail:
    """The welcome a volunteer gets once the matching service has them."""
    return PlannedEmail(
        template=WELCOME,
        dedupe_key=f"{WELCOME}:{event.volunteer_id}",
        to_address=event.email,
        locale=DEFAULT_LOCALE,
        context={"name": event.name},
    )


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: 30 s, 1 min, 2 min ... at most 1 h."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def is_permanent_smtp_code(code: int) -> bool:
    """5xx answers (no such mailbox, rejected) will not change on a retry; 4xx ones may."""
    return 500 <= code < 600
