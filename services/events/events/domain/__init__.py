"""The waiting-list rules of the events service: pure, no database or broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

OPEN = ("confirmed", "waitlisted")  # registrations that hold a place or a queue position


class EventCancelled(Exception):
    """The event is cancelled: nothing about it can change any more."""


@dataclass(frozen=True)
class Decision:
    """What becomes of a registration request."""

    status: str  # confirmed, waitlisted or rejected
    reason: str | None = None
    existing_registration_id: uuid.UUID | None = None


@dataclass(frozen=True)
class EventState:
    """What the decision needs to know about the event, read under its row lock."""

    status: str  # published or cancelled
    capacity: int
    confirmed: int
    registration_closes_at: datetime | None


def decide(event: EventState | None, existing: uuid.UUID | None, now: datetime) -> Decision:
    """confirmed while places remain, else waitlisted; rejected with the reason otherwise."""
    if event is None:
        return Decision("rejected", "unknown_event")
    if event.status == "cancelled":
        return Decision("rejected", "event_cancelled")
    if existing is not None:
        return Decision("rejected", "already_registered", existing)
    if event.registration_closes_at is not None and now > event.registration_closes_at:
        return Decision("rejected", "registration_closed")
    return Decision("confirmed" if event.confirmed < event.capacity else "waitlisted")


def free_places(capacity: int, confirmed: int) -> int:
    """How many people the waiting list may promote now."""
    return max(capacity - confirmed, 0)


REMINDERS = (("day", timedelta(hours=24)), ("hour", timedelta(hours=1)))


def reminders_due(starts_at: datetime, now: datetime) -> list[str]:
    """The reminders due by `now` for an event starting at `starts_at` (both aware): none once
    it has started. Times are compared in UTC, so a change to or from summer time between
    now and the start moves nothing."""
    if now >= starts_at:
        return []
    return [name for name, before in REMINDERS if now >= starts_at - before]
