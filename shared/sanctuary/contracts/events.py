"""Events and registrations: places, waiting lists, changes, reminders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from marshmallow import fields, validate

from sanctuary import fields as f
from sanctuary.contracts.base import DEFAULT_LOCALE, ContractSchema, locale_field

# --- registration.*: a place at an event ------------------------------------------------------

REJECTION_REASONS = (
    "already_registered",
    "registration_closed",
    "event_cancelled",
    "unknown_event",
)


@dataclass(frozen=True)
class RegistrationRequested:
    """Someone asked for a place at an event (the gateway accepted the form)."""

    TYPE: ClassVar[str] = "registration.requested"
    VERSION: ClassVar[int] = 1

    registration_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    email: str
    requested_at: datetime
    volunteer_id: uuid.UUID | None = None
    newcomer_id: uuid.UUID | None = None
    locale: str = DEFAULT_LOCALE


class RegistrationRequestedSchema(ContractSchema):
    message_class = RegistrationRequested

    registration_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    requested_at = fields.AwareDateTime(required=True)
    volunteer_id = fields.UUID(load_default=None, allow_none=True)
    newcomer_id = fields.UUID(load_default=None, allow_none=True)
    locale = locale_field()


@dataclass(frozen=True)
class RegistrationChanged:
    """Base of the registration facts: whose place at which event, and where to write."""

    registration_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    email: str
    # The registrant's language, on the facts that answer a request (confirmed, waitlisted,
    # rejected); None on later ones, whose emails use the language notifications kept.
    locale: str | None = None


class RegistrationChangedSchema(ContractSchema):
    registration_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    locale = locale_field(known=False)


@dataclass(frozen=True)
class RegistrationConfirmed(RegistrationChanged):
    """The person has a place."""

    TYPE: ClassVar[str] = "registration.confirmed"
    VERSION: ClassVar[int] = 1


class RegistrationConfirmedSchema(RegistrationChangedSchema):
    message_class = RegistrationConfirmed


@dataclass(frozen=True)
class RegistrationWaitlisted(RegistrationChanged):
    """The event is full: the person waits, at this position."""

    TYPE: ClassVar[str] = "registration.waitlisted"
    VERSION: ClassVar[int] = 1
    position: int = 0


class RegistrationWaitlistedSchema(RegistrationChangedSchema):
    message_class = RegistrationWaitlisted
    position = fields.Integer(required=True, validate=validate.Range(min=1))


@dataclass(frozen=True)
class RegistrationPromoted(RegistrationChanged):
    """A place freed up and went to this person, the first waiting."""

    TYPE: ClassVar[str] = "registration.promoted"
    VERSION: ClassVar[int] = 1


class RegistrationPromotedSchema(RegistrationChangedSchema):
    message_class = RegistrationPromoted


@dataclass(frozen=True)
class RegistrationCancelled(RegistrationChanged):
    """The person cancelled (or the place was otherwise given up)."""

    TYPE: ClassVar[str] = "registration.cancelled"
    VERSION: ClassVar[int] = 1


class RegistrationCancelledSchema(RegistrationChangedSchema):
    message_class = RegistrationCancelled


@dataclass(frozen=True)
class RegistrationRejected(RegistrationChanged):
    """The request could not be given a place or a queue position, and why."""

    TYPE: ClassVar[str] = "registration.rejected"
    VERSION: ClassVar[int] = 1
    reason: str = ""
    existing_registration_id: uuid.UUID | None = None


class RegistrationRejectedSchema(RegistrationChangedSchema):
    message_class = RegistrationRejected
    reason = fields.String(required=True, validate=validate.OneOf(REJECTION_REASONS))
    existing_registration_id = fields.UUID(load_default=None, allow_none=True)


# --- event.*: what happened to an event ------------------------------------------------------


@dataclass(frozen=True)
class EventScheduled:
    """A coordinator scheduled an event. The webinar link is here for the confirmation emails
    only: the notifications service keeps it, no public page shows it."""

    TYPE: ClassVar[str] = "event.scheduled"
    VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    sequence: int
    online_url: str | None = None
    location: str | None = None


class EventScheduledSchema(ContractSchema):
    message_class = EventScheduled

    event_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(("webinar", "training", "social")))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True)
    sequence = fields.Integer(required=True, validate=validate.Range(min=0))
    online_url = fields.String(load_default=None, allow_none=True)
    location = fields.String(load_default=None, allow_none=True)


@dataclass(frozen=True)
class EventUpdated(EventScheduled):
    """A coordinator changed an event: its details now, and the names of what changed.
    Registrants are in the notifications service's own copy, not in this message."""

    TYPE: ClassVar[str] = "event.updated"
    VERSION: ClassVar[int] = 1
    changed: tuple[str, ...] = ()


class EventUpdatedSchema(EventScheduledSchema):
    message_class = EventUpdated
    changed = fields.List(fields.String(), required=True)


@dataclass(frozen=True)
class EventCancelled:
    """A coordinator cancelled an event: everyone registered is to be told."""

    TYPE: ClassVar[str] = "event.cancelled"
    VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    title: str
    starts_at: datetime
    sequence: int


class EventCancelledSchema(ContractSchema):
    message_class = EventCancelled

    event_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = fields.AwareDateTime(required=True)
    sequence = fields.Integer(required=True, validate=validate.Range(min=0))


@dataclass(frozen=True)
class EventReminderDue(RegistrationChanged):
    """A confirmed registrant's reminder: a day (24 h) or an hour before the start."""

    TYPE: ClassVar[str] = "event.reminder_due"
    VERSION: ClassVar[int] = 1
    reminder: str = ""
    starts_at: datetime | None = None


class EventReminderDueSchema(RegistrationChangedSchema):
    message_class = EventReminderDue
    reminder = fields.String(required=True, validate=validate.OneOf(("day", "hour")))
    starts_at = fields.AwareDateTime(required=True)
