"""Readiness of volunteers and the life of a match: pure state rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

CHECK_VALUES = {
    "references": ("pending", "verified"),
    "screening": ("pending", "passed", "failed"),
    "dbs": ("none", "held"),
    "training": ("pending", "completed"),
}
OPEN = ("proposed", "approved", "active")  # a match that holds a place
HOLDS_CAPACITY = ("approved", "active")  # counted when a coordinator approves
CHECKINS = (("two_weeks", timedelta(days=14)), ("three_months", timedelta(days=91)))

# action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    "approve": (("proposed",), "approved"),
    "reject": (("proposed",), "rejected"),
    "activate": (("approved",), "active"),
    "end": (("approved", "active"), "ended"),
}


class IllegalTransition(Exception):
    """The match is not in a state this action applies to."""


class OverCapacity(Exception):
    """Approving would give the volunteer more matches than they offered."""


# What each check must show before a volunteer can be matched (DBS is asked for by some
# newcomers only, so it is not one of them).
READY_WHEN = {"references": "verified", "screening": "passed", "training": "completed"}


def missing_checks(checks: dict[str, str]) -> tuple[str, ...]:
    """The checks a volunteer has still to clear, in a fixed order."""
    return tuple(check for check, cleared in READY_WHEN.items() if checks[check] != cleared)


def readiness(checks: dict[str, str], status: str) -> tuple[str, tuple[str, ...]] | None:
    """What the volunteer is told about their readiness: (status, missing checks), or None
    once inactive (a coordinator speaks to them, no automatic email)."""
    if status == "inactive":
        return None
    return status, missing_checks(checks)


def volunteer_status(checks: dict[str, str], current: str) -> str:
    """ready only with references verified, screening passed and training completed;
    inactive after a failed screening (or once inactive); applied otherwise."""
    if current == "inactive" or checks["screening"] == "failed":
        return "inactive"
    ready = (checks["references"], checks["screening"], checks["training"]) == (
        "verified",
        "passed",
        "completed",
    )
    return "ready" if ready else "applied"


def next_status(current: str, action: str) -> str:
    """Where `action` takes a match in `current`; IllegalTransition with the reason if nowhere."""
    allowed_from, to = TRANSITIONS[action]
    if current not in allowed_from:
        raise IllegalTransition(
            f"cannot {action} a match that is {current}; only one that is "
            f"{' or '.join(allowed_from)}"
        )
    return to


def check_capacity(holding: int, max_matches: int) -> None:
    """Raise OverCapacity if a volunteer holding `holding` matches cannot take another."""
    if holding >= max_matches:
        raise OverCapacity(
            f"the volunteer already has {holding} of the {max_matches} matches they offered"
        )


@dataclass(frozen=True)
class CheckinDue:
    """A check-in that has come due for a match."""

    name: str
    due_at: datetime


def checkin_schedule(approved_at: datetime, sent: list[str]) -> list[dict[str, Any]]:
    """Every check-in of an approved match: its name, when it falls due, whether it went."""
    return [
        {"name": name, "due_at": approved_at + after, "sent": name in sent}
        for name, after in CHECKINS
    ]


def checkins_due(approved_at: datetime, sent: list[str], now: datetime) -> list[CheckinDue]:
    """The check-ins (two weeks, three months after approval) due by `now` and not yet sent."""
    return [
        CheckinDue(name, approved_at + after)
        for name, after in CHECKINS
        if name not in sent and approved_at + after <= now
    ]
