"""Readiness of volunteers and the life of a match: pure state rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sanctuary.vocabulary import (
    DATED,
    READY_WHEN,
    Check,
    Checkin,
    CheckOutcome,
    MatchAction,
    MatchEnding,
    MatchStatus,
    VolunteerStatus,
)

# A match that holds a place, and the ones counted when a coordinator approves.
OPEN = (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.ACTIVE)
HOLDS_CAPACITY = (MatchStatus.APPROVED, MatchStatus.ACTIVE)
CHECKINS = ((Checkin.TWO_WEEKS, timedelta(days=14)), (Checkin.THREE_MONTHS, timedelta(days=91)))
# Why a match ends when one of the pair is erased: the one reason their matches keep.
WITHDRAWN = MatchEnding.WITHDRAWN

# action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    MatchAction.APPROVE: ((MatchStatus.PROPOSED,), MatchStatus.APPROVED),
    MatchAction.REJECT: ((MatchStatus.PROPOSED,), MatchStatus.REJECTED),
    MatchAction.ACTIVATE: ((MatchStatus.APPROVED,), MatchStatus.ACTIVE),
    MatchAction.END: ((MatchStatus.APPROVED, MatchStatus.ACTIVE), MatchStatus.ENDED),
}


class IllegalTransition(Exception):
    """The match is not in a state this action applies to."""


class OverCapacity(Exception):
    """Approving would give the volunteer more matches than they offered."""


def missing_checks(checks: dict[Check, str]) -> tuple[Check, ...]:
    """The checks a volunteer has still to clear, in a fixed order: READY_WHEN's, then a DBS
    check that ran out (ADR 44: renewed before they are matched again)."""
    missing = [check for check, cleared in READY_WHEN.items() if checks[check] != cleared]
    lapsed = [c for c in DATED if checks[c] == CheckOutcome.LAPSED and c not in missing]
    return (*missing, *lapsed)


def readiness(
    checks: dict[Check, str], status: str
) -> tuple[VolunteerStatus, tuple[Check, ...]] | None:
    """What the volunteer is told about their readiness: (status, missing checks), or None
    once inactive (a coordinator speaks to them, no automatic email)."""
    if status == VolunteerStatus.INACTIVE:
        return None
    return VolunteerStatus(status), missing_checks(checks)


def volunteer_status(checks: dict[Check, str], current: str) -> VolunteerStatus:
    """ready only with references verified, screening passed and training completed;
    inactive after a failed screening (or once inactive); applied otherwise."""
    if current == VolunteerStatus.INACTIVE or checks[Check.SCREENING] == CheckOutcome.FAILED:
        return VolunteerStatus.INACTIVE
    return VolunteerStatus.READY if not missing_checks(checks) else VolunteerStatus.APPLIED


def next_status(current: str, action: str) -> MatchStatus:
    """Where `action` takes a match in `current`; IllegalTransition with the reason if nowhere."""
    allowed_from, to = TRANSITIONS[MatchAction(action)]
    if current not in allowed_from:
        raise IllegalTransition(
            f"cannot {action} a match that is {current}; only one that is "
            f"{' or '.join(allowed_from)}"
        )
    return to


def withdraw(current: str) -> MatchStatus:
    """Where a match goes when one of the pair is erased: an open match ends, whatever its
    state (a proposal too); IllegalTransition for one already closed."""
    if current not in OPEN:
        raise IllegalTransition(f"cannot withdraw from a match that is {current}")
    return MatchStatus.ENDED


def check_capacity(holding: int, max_matches: int) -> None:
    """Raise OverCapacity if a volunteer holding `holding` matches cannot take another."""
    if holding >= max_matches:
        raise OverCapacity(
            f"the volunteer already has {holding} of the {max_matches} matches they offered"
        )


@dataclass(frozen=True)
class CheckinDue:
    """A check-in that has come due for a match."""

    name: Checkin
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
