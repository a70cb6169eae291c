"""The waiting-list rules of the events service: pure, no database or broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sanctuary.vocabulary import EventStatus, RegistrationStatus, RejectionReason, Reminder

# Registrations that hold a place or a queue position.
OPEN = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class EventCancelled(Exception):
    """The event is cancelled: nothing about it can change any more."""


@dataclass(frozen=True)
class Decision:
    """What becomes of a registration request."""

    status: RegistrationStatus  # confirmed, waitlisted or rejected
    reason: RejectionReason | None = None
    existing_registration_id: uuid.UUID | None = None
    # A duplicate is shown to whoever asked as a new request would have been answered
    # (confirmed or waitlisted): its answer must tell nothing of the address's own place.
    shown_as: RegistrationStatus | None = None


@dataclass(frozen=True)
class EventState:
    """What the decision needs to know about the event, read under its row lock."""

    status: str  # published or cancelled
    capacity: int
    confirmed: int
    registration_closes_at: datetime | None


def decide(event: EventState | None, existing: uuid.UUID | None, now: datetime) -> Decision:
    """confirmed while places remain, else waitlisted; rejected with the reason otherwise.

    The reasons that are about the event come first, so that they are the same whoever asks.
    An address that already holds a place or a queue position is rejected, but shown as a
    new request would be (ADR 31): the owner is told by email, the asker learns nothing."""
    if event is None:
        return Decision(RegistrationStatus.REJECTED, RejectionReason.UNKNOWN_EVENT)
    if event.status == EventStatus.CANCELLED:
        return Decision(RegistrationStatus.REJECTED, RejectionReason.EVENT_CANCELLED)
    if event.registration_closes_at is not None and now > event.registration_closes_at:
        return Decision(RegistrationStatus.REJECTED, RejectionReason.REGISTRATION_CLOSED)
    as_new = (
        RegistrationStatus.CONFIRMED
        if event.confirmed < event.capacity
        else RegistrationStatus.WAITLISTED
    )
    if existing is not None:
        return Decision(
            RegistrationStatus.REJECTED, RejectionReason.ALREADY_REGISTERED, existing, as_new
        )
    return Decision(as_new)


def free_places(capacity: int, confirmed: int) -> int:
    """How many people the waiting list may promote now."""
    return max(capacity - confirmed, 0)


REMINDERS = ((Reminder.DAY, timedelta(hours=24)), (Reminder.HOUR, timedelta(hours=1)))


def reminders_due(starts_at: datetime, now: datetime) -> list[Reminder]:
    """The reminders due by `now` for an event starting at `starts_at` (both aware): none once
    it has started. Times are compared in UTC, so a change to or from summer time between
    now and the start moves nothing."""
    if now >= starts_at:
        return []
    return [name for name, before in REMINDERS if now >= starts_at - before]
