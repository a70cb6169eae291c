"""Every message the services exchange, defined once: a frozen dataclass and its marshmallow schema.

Bodies are checked against these schemas when published (the outbox refuses a bad body) and
when consumed (a body that does not load is parked with the reason). Consumers tolerate
fields they do not know (EXCLUDE), so producers can add fields without breaking them.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from sanctuary import fields as f


class ContractSchema(Schema):
    """Base of every message schema: unknown fields are ignored, for forward compatibility."""

    class Meta:
        unknown = EXCLUDE

    message_class: ClassVar[type[Any]]

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Any:
        # Lists become tuples so that the frozen message is immutable all the way down.
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return self.message_class(**frozen)


# --- volunteer.signed_up: the gateway accepted a volunteer's sign-up --------------------------


Slot = tuple[str, str]  # ("sat", "morning")


@dataclass(frozen=True)
class VolunteerSignedUp:
    """A person signed up online to volunteer as a befriender: what matching needs, no more."""

    TYPE: ClassVar[str] = "volunteer.signed_up"
    VERSION: ClassVar[int] = 2  # 2 added the matching fields; version 1 bodies load with defaults

    volunteer_id: uuid.UUID
    name: str
    email: str
    postcode: str
    languages: tuple[str, ...]
    consented_at: datetime
    availability: tuple[Slot, ...] = ()
    interests: tuple[str, ...] = ()
    gender: str | None = None
    same_gender_only: bool = False
    max_matches: int = 1
    has_dbs: bool = False


class VolunteerSignedUpSchema(ContractSchema):
    message_class = VolunteerSignedUp

    volunteer_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    postcode = f.Postcode(required=True)
    languages = f.languages()
    consented_at = fields.AwareDateTime(required=True)
    availability = f.availability(required=False)
    interests = f.tags()
    gender = f.gender()
    same_gender_only = fields.Boolean(load_default=False)
    max_matches = fields.Integer(load_default=1, validate=validate.Range(1, 3))
    has_dbs = fields.Boolean(load_default=False)


# --- newcomer.requested: someone asked for a befriender ---------------------------------------


@dataclass(frozen=True)
class NewcomerRequested:
    """A newcomer (or a support worker for them) asked for a befriender."""

    TYPE: ClassVar[str] = "newcomer.requested"
    VERSION: ClassVar[int] = 1

    newcomer_id: uuid.UUID
    name: str
    email: str | None
    referrer_email: str | None
    postcode: str
    languages: tuple[str, ...]
    wants_english_practice: bool
    needs: tuple[str, ...]
    interests: tuple[str, ...]
    availability: tuple[Slot, ...]
    gender: str | None
    same_gender_only: bool
    needs_dbs: bool
    consented_at: datetime


class NewcomerRequestedSchema(ContractSchema):
    message_class = NewcomerRequested

    newcomer_id = fields.UUID(required=True)
    name = f.name()
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    referrer_email = fields.Email(
        load_default=None, allow_none=True, validate=validate.Length(max=254)
    )
    postcode = f.Postcode(required=True)
    languages = f.languages()
    wants_english_practice = fields.Boolean(load_default=False)
    needs = f.tags()
    interests = f.tags()
    availability = f.availability()
    gender = f.gender()
    same_gender_only = fields.Boolean(load_default=False)
    needs_dbs = fields.Boolean(load_default=False)
    consented_at = fields.AwareDateTime(required=True)

    @validates_schema
    def _someone_to_write_to(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("email") and not data.get("referrer_email"):
            raise ValidationError("Give an email or a referrer_email.", "email")


# --- volunteer.registered: matching now holds the volunteer ----------------------------------

VOLUNTEER_STATUSES = ("applied", "ready", "inactive")


@dataclass(frozen=True)
class VolunteerRegistered:
    """The matching service recorded a volunteer. Name and email are here for the welcome email."""

    TYPE: ClassVar[str] = "volunteer.registered"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    name: str
    email: str
    status: str


class VolunteerRegisteredSchema(ContractSchema):
    message_class = VolunteerRegistered

    volunteer_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    status = fields.String(required=True, validate=validate.OneOf(VOLUNTEER_STATUSES))


# --- volunteer.checks_recorded: a coordinator (or training) changed a volunteer's checks -----

CHECKS = {
    "references": ("pending", "verified"),
    "screening": ("pending", "passed", "failed"),
    "dbs": ("none", "held"),
    "training": ("pending", "completed"),
}


@dataclass(frozen=True)
class VolunteerChecksRecorded:
    """A volunteer's checks now stand like this, and so does their status."""

    TYPE: ClassVar[str] = "volunteer.checks_recorded"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    references: str
    screening: str
    dbs: str
    training: str
    status: str
    previous_status: str


class VolunteerChecksRecordedSchema(ContractSchema):
    message_class = VolunteerChecksRecorded

    volunteer_id = fields.UUID(required=True)
    references = fields.String(required=True, validate=validate.OneOf(CHECKS["references"]))
    screening = fields.String(required=True, validate=validate.OneOf(CHECKS["screening"]))
    dbs = fields.String(required=True, validate=validate.OneOf(CHECKS["dbs"]))
    training = fields.String(required=True, validate=validate.OneOf(CHECKS["training"]))
    status = fields.String(required=True, validate=validate.OneOf(VOLUNTEER_STATUSES))
    previous_status = fields.String(required=True, validate=validate.OneOf(VOLUNTEER_STATUSES))


# --- training.completed: someone attended a training session (the events service) ------------


@dataclass(frozen=True)
class TrainingCompleted:
    """A person attended a training event; `volunteer_id` when they registered as one."""

    TYPE: ClassVar[str] = "training.completed"
    VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    registration_id: uuid.UUID
    topic: str | None
    completed_at: datetime
    volunteer_id: uuid.UUID | None = None
    # The registrant's email: matching credits the volunteer only if it is theirs, since
    # anyone can type a volunteer's id into a public registration form.
    email: str | None = None


class TrainingCompletedSchema(ContractSchema):
    message_class = TrainingCompleted

    email = fields.Email(load_default=None, allow_none=True)

    event_id = fields.UUID(required=True)
    registration_id = fields.UUID(required=True)
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    completed_at = fields.AwareDateTime(required=True)
    volunteer_id = fields.UUID(load_default=None, allow_none=True)


# --- match.*: the life of a match, each transition a fact ------------------------------------


@dataclass(frozen=True)
class MatchChanged:
    """Base of the match facts: which match, between whom. No names: ids are enough."""

    match_id: uuid.UUID
    volunteer_id: uuid.UUID
    newcomer_id: uuid.UUID


class MatchChangedSchema(ContractSchema):
    match_id = fields.UUID(required=True)
    volunteer_id = fields.UUID(required=True)
    newcomer_id = fields.UUID(required=True)


@dataclass(frozen=True)
class MatchProposed(MatchChanged):
    """A run proposed this match; a coordinator must approve or reject it."""

    TYPE: ClassVar[str] = "match.proposed"
    VERSION: ClassVar[int] = 1
    score: int = 0


class MatchProposedSchema(MatchChangedSchema):
    message_class = MatchProposed
    score = fields.Integer(required=True)


@dataclass(frozen=True)
class MatchApproved(MatchChanged):
    """A coordinator approved the match: the introduction can go out."""

    TYPE: ClassVar[str] = "match.approved"
    VERSION: ClassVar[int] = 1


class MatchApprovedSchema(MatchChangedSchema):
    message_class = MatchApproved


@dataclass(frozen=True)
class MatchActivated(MatchChanged):
    """The pair have met: the befriending has started."""

    TYPE: ClassVar[str] = "match.activated"
    VERSION: ClassVar[int] = 1


class MatchActivatedSchema(MatchChangedSchema):
    message_class = MatchActivated


@dataclass(frozen=True)
class MatchRejected(MatchChanged):
    """A coordinator rejected the proposal; both go back to the pool, never paired again."""

    TYPE: ClassVar[str] = "match.rejected"
    VERSION: ClassVar[int] = 1
    reason: str = ""


class MatchRejectedSchema(MatchChangedSchema):
    message_class = MatchRejected
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


@dataclass(frozen=True)
class MatchEnded(MatchChanged):
    """The befriending ended (no-fault endings are normal); the volunteer's place frees up."""

    TYPE: ClassVar[str] = "match.ended"
    VERSION: ClassVar[int] = 1
    reason: str = ""


class MatchEndedSchema(MatchChangedSchema):
    message_class = MatchEnded
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


@dataclass(frozen=True)
class MatchCheckinDue(MatchChanged):
    """A check-in with the pair is due (two weeks, three months)."""

    TYPE: ClassVar[str] = "match.checkin_due"
    VERSION: ClassVar[int] = 1
    checkin: str = ""


class MatchCheckinDueSchema(MatchChangedSchema):
    message_class = MatchCheckinDue
    checkin = fields.String(required=True, validate=validate.OneOf(("two_weeks", "three_months")))


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


class RegistrationRequestedSchema(ContractSchema):
    message_class = RegistrationRequested

    registration_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    requested_at = fields.AwareDateTime(required=True)
    volunteer_id = fields.UUID(load_default=None, allow_none=True)
    newcomer_id = fields.UUID(load_default=None, allow_none=True)


@dataclass(frozen=True)
class RegistrationChanged:
    """Base of the registration facts: whose place at which event, and where to write."""

    registration_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    email: str


class RegistrationChangedSchema(ContractSchema):
    registration_id = fields.UUID(required=True)
    event_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()


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


# --- the registry ----------------------------------------------------------------------------

SCHEMAS: dict[str, type[ContractSchema]] = {
    schema.message_class.TYPE: schema
    for schema in (
        VolunteerSignedUpSchema,
        VolunteerRegisteredSchema,
        NewcomerRequestedSchema,
        VolunteerChecksRecordedSchema,
        TrainingCompletedSchema,
        MatchProposedSchema,
        MatchApprovedSchema,
        MatchActivatedSchema,
        MatchRejectedSchema,
        MatchEndedSchema,
        MatchCheckinDueSchema,
        RegistrationRequestedSchema,
        RegistrationConfirmedSchema,
        RegistrationWaitlistedSchema,
        RegistrationPromotedSchema,
        RegistrationCancelledSchema,
        RegistrationRejectedSchema,
        EventScheduledSchema,
        EventUpdatedSchema,
        EventCancelledSchema,
        EventReminderDueSchema,
    )
}
MESSAGE_TYPES: tuple[str, ...] = tuple(SCHEMAS)


class UnknownMessageType(LookupError):
    """No contract exists for this message type."""


def schema_version(message_type: str) -> int:
    """The schema version producers stamp in the `schema_version` header."""
    return int(_schema(message_type).message_class.VERSION)


def dump(message: Any) -> tuple[str, dict[str, Any]]:
    """Turn a message into (type, JSON-ready body), refusing a body its own schema would reject."""
    message_type: str = message.TYPE
    schema = _schema(message_type)()
    body: dict[str, Any] = schema.dump(asdict(message))
    errors = schema.validate(body)
    if errors:
        raise ValidationError(errors)
    return message_type, body


def load(message_type: str, body: Any) -> Any:
    """Turn a received body into its frozen dataclass; ValidationError when it does not fit."""
    return _schema(message_type)().load(body)


def _schema(message_type: str) -> type[ContractSchema]:
    try:
        return SCHEMAS[message_type]
    except KeyError:
        raise UnknownMessageType(message_type) from None
