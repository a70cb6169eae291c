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

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

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


@dataclass(frozen=True)
class VolunteerSignedUp:
    """A person signed up online to volunteer as a befriender."""

    TYPE: ClassVar[str] = "volunteer.signed_up"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    name: str
    email: str
    postcode: str
    languages: tuple[str, ...]
    consented_at: datetime


class VolunteerSignedUpSchema(ContractSchema):
    message_class = VolunteerSignedUp

    volunteer_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    postcode = f.Postcode(required=True)
    languages = f.languages()
    consented_at = fields.AwareDateTime(required=True)


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


# --- the registry ----------------------------------------------------------------------------

SCHEMAS: dict[str, type[ContractSchema]] = {
    schema.message_class.TYPE: schema
    for schema in (VolunteerSignedUpSchema, VolunteerRegisteredSchema)
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
