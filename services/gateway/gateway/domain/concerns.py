"""Safeguarding concerns' rules (ADR 45), pure: who may open a case file, what may be added to
it and when, and when an urgent concern goes to the network's lead."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sanctuary.safeguarding_words import ConcernStatus, ConcernUrgency

# An urgent concern nobody acknowledged within this goes to the network's safeguarding lead.
ESCALATE_AFTER = timedelta(hours=1)


class CaseClosed(Exception):
    """A closed case file takes nothing more (a 409)."""


class OutcomeNeeded(ValueError):
    """Closing needs an outcome and a reason (a 422 naming the field)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"Closing a concern needs its {field.replace('_', ' ')}.")
        self.field = field


@dataclass(frozen=True)
class Roles:
    """A coordinator's safeguarding roles: the groups they lead or deputise for, and whether
    they are the network's lead."""

    leads: frozenset[uuid.UUID] = frozenset()
    network_lead: bool = False


def may_open(roles: Roles, group_id: uuid.UUID | None) -> bool:
    """The group's lead and deputy, and the network's lead; nobody else (a network admin and
    the group's other coordinators included). A concern of no group is the network lead's."""
    return roles.network_lead or (group_id is not None and group_id in roles.leads)


def may_add(status: str) -> None:
    """Raise CaseClosed unless the case file is still open to entries."""
    if status == ConcernStatus.CLOSED:
        raise CaseClosed("This concern is closed: its case file takes nothing more.")


def closing(status: str, outcome: str | None, reason: str | None) -> None:
    """Raise unless the concern may close with this outcome and reason."""
    may_add(status)
    for field, value in (("outcome", outcome), ("closure_reason", reason)):
        if not (value or "").strip():
            raise OutcomeNeeded(field)


def escalation_due(
    urgency: str, status: str, raised_at: datetime, escalated_at: datetime | None, now: datetime
) -> bool:
    """An urgent concern still open (not acknowledged) an hour after it was raised, and not
    escalated yet."""
    return (
        urgency == ConcernUrgency.URGENT
        and status == ConcernStatus.OPEN
        and escalated_at is None
        and now >= raised_at + ESCALATE_AFTER
    )


@dataclass(frozen=True)
class Logged:
    """What the trustees' log reads of a concern: no details, no one it is about."""

    group_id: uuid.UUID | None
    category: str
    urgency: str
    raised_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None


def log_of(concerns: list[Logged]) -> dict[str, object]:
    """Counts by category and urgency, how many are still open, and the median hours to
    acknowledge and days to close: for trustees, with no names."""
    from collections import Counter
    from statistics import median

    hours = [
        (c.acknowledged_at - c.raised_at).total_seconds() / 3600
        for c in concerns
        if c.acknowledged_at
    ]
    days = [(c.closed_at - c.raised_at).total_seconds() / 86400 for c in concerns if c.closed_at]
    return {
        "raised": len(concerns),
        "open": sum(1 for c in concerns if c.closed_at is None),
        "by_category": dict(sorted(Counter(c.category for c in concerns).items())),
        "by_urgency": dict(sorted(Counter(c.urgency for c in concerns).items())),
        "median_hours_to_acknowledge": round(median(hours), 1) if hours else None,
        "median_days_to_close": round(median(days), 1) if days else None,
    }
