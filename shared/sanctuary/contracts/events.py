"""Events and registrations: places, waiting lists, changes, reminders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, ClassVar

from marshmallow import fields, validate

from sanctuary import fields as f
from sanctuary.contracts.base import contract
from sanctuary.vocabulary import DEFAULT_LOCALE, EventKind, Locale, RejectionReason, Reminder

Name = Annotated[str, f.name]
Email = Annotated[str, f.email]
Title = Annotated[str, lambda: fields.String(required=True, validate=validate.Length(1, 200))]
# The title in the pages' other languages ({"ar": ..., "uk": ...}); absent: English only.
Titles = Annotated[
    dict[str, str],
    lambda: fields.Dict(
        keys=fields.String(validate=validate.OneOf([str(x) for x in Locale])),
        values=fields.String(validate=validate.Length(1, 200)),
        load_default=dict,
    ),
]
Sequence = Annotated[int, lambda: fields.Integer(required=True, validate=validate.Range(min=0))]

# --- registration.*: a place at an event ------------------------------------------------------


@contract
@dataclass(frozen=True, kw_only=True)
class RegistrationRequested:
    """Someone asked for a place at an event (the gateway accepted the form)."""

    TYPE: ClassVar[str] = "registration.requested"
    VERSION: ClassVar[int] = 1

    registration_id: uuid.UUID
    event_id: uuid.UUID
    name: Name
    email: Email
    requested_at: datetime
    volunteer_id: uuid.UUID | None = None
    newcomer_id: uuid.UUID | None = None
    locale: Locale = DEFAULT_LOCALE
    # The group the person named or their postcode falls in; None: the event's own group.
    group_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class RegistrationChanged:
    """Base of the registration facts: whose place at which event, and where to write."""

    registration_id: uuid.UUID
    event_id: uuid.UUID
    name: Name
    email: Email
    # The registrant's language, on the facts that answer a request (confirmed, waitlisted,
    # rejected); None on later ones, whose emails use the language notifications kept.
    locale: Locale | None = None
    # The group whose contact signs the registrant's emails; None: the network's.
    group_id: uuid.UUID | None = None


@contract
@dataclass(frozen=True, kw_only=True)
class RegistrationConfirmed(RegistrationChanged):
    """The person has a place."""

    TYPE: ClassVar[str] = "registration.confirmed"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class RegistrationWaitlisted(RegistrationChanged):
    """The event is full: the person waits, at this position."""

    TYPE: ClassVar[str] = "registration.waitlisted"
    VERSION: ClassVar[int] = 1
    position: Annotated[int, lambda: fields.Integer(required=True, validate=validate.Range(min=1))]


@contract
@dataclass(frozen=True, kw_only=True)
class RegistrationPromoted(RegistrationChanged):
    """A place freed up and went to this person, the first waiting."""

    TYPE: ClassVar[str] = "registration.promoted"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class RegistrationCancelled(RegistrationChanged):
    """The person cancelled (or the place was otherwise given up)."""

    TYPE: ClassVar[str] = "registration.cancelled"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class RegistrationRejected(RegistrationChanged):
    """The request could not be given a place or a queue position, and why."""

    TYPE: ClassVar[str] = "registration.rejected"
    VERSION: ClassVar[int] = 1
    reason: RejectionReason
    existing_registration_id: uuid.UUID | None = None


# --- event.*: what happened to an event ------------------------------------------------------


@contract
@dataclass(frozen=True, kw_only=True)
class EventScheduled:
    """A coordinator scheduled an event. The webinar link is here for the confirmation emails
    only: the notifications service keeps it, no public page shows it."""

    TYPE: ClassVar[str] = "event.scheduled"
    VERSION: ClassVar[int] = 2  # 2 added `titles`; a version 1 body loads with none

    event_id: uuid.UUID
    title: Title
    titles: Titles = field(default_factory=dict)
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    timezone: str
    sequence: Sequence
    online_url: str | None = None
    location: str | None = None
    # The group that runs it; None: a national event, open to every group's people.
    group_id: uuid.UUID | None = None


@contract
@dataclass(frozen=True, kw_only=True)
class EventUpdated(EventScheduled):
    """A coordinator changed an event: its details now, and the names of what changed.
    Registrants are in the notifications service's own copy, not in this message."""

    TYPE: ClassVar[str] = "event.updated"
    VERSION: ClassVar[int] = 2  # as event.scheduled
    changed: tuple[str, ...]


@contract
@dataclass(frozen=True, kw_only=True)
class EventCancelled:
    """A coordinator cancelled an event: everyone registered is to be told."""

    TYPE: ClassVar[str] = "event.cancelled"
    VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    title: Title
    starts_at: datetime
    sequence: Sequence


@contract
@dataclass(frozen=True, kw_only=True)
class EventReminderDue(RegistrationChanged):
    """A confirmed registrant's reminder: a day (24 h) or an hour before the start."""

    TYPE: ClassVar[str] = "event.reminder_due"
    VERSION: ClassVar[int] = 1
    reminder: Reminder
    starts_at: datetime
