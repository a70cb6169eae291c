"""Bodies of the events service's internal API (coordinators' calls, passed on by the gateway)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from sanctuary.fields import SafeText
from sanctuary.vocabulary import DEFAULT_LOCALE, EventKind, Locale

# Places at one event: a network-wide webinar's at most, and far inside the database's integer
# (a larger number was a 500 from the events service, found by schemathesis).
CAPACITY = validate.Range(min=1, max=100_000)


class Body(SafeText, Schema):
    class Meta:
        unknown = RAISE

    @post_load
    def _in_utc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Stored in UTC: SQLite keeps no offset, and every comparison is then like with like.
        return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in data.items()}


TITLE = validate.Length(min=1, max=200)
DESCRIPTION = validate.Length(max=5000)
# The languages an event's text can be given in beside its own (English): the pages' others.
TRANSLATED = tuple(str(locale) for locale in Locale if locale != DEFAULT_LOCALE)


class TranslationSchema(Body):
    """An event's title and description in one more language."""

    title = fields.String(required=True, validate=TITLE)
    description = fields.String(load_default="", validate=DESCRIPTION)


def translations(**options: Any) -> fields.Dict:
    """{"ar": {"title", "description"}, "uk": {...}}: the event's text in the pages' other
    languages; a page or email in a language without one shows the English."""
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(TRANSLATED)),
        values=fields.Nested(TranslationSchema),
        metadata={"description": "The title and description in Arabic (ar) and Ukrainian (uk)"},
        **options,
    )


class NewEventSchema(Body):
    """A coordinator's new event: a webinar needs its https link, the others a location."""

    title = fields.String(required=True, validate=TITLE)
    description = fields.String(load_default="", validate=DESCRIPTION)
    translations = translations(load_default=dict)
    kind = fields.String(required=True, validate=validate.OneOf(tuple(EventKind)))
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(
        load_default="Europe/London",
        metadata={"description": "IANA name; Europe/London if not given"},
    )
    capacity = fields.Integer(required=True, strict=True, validate=CAPACITY)
    online_url = fields.Url(load_default=None, allow_none=True, schemes={"https"})
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    registration_closes_at = fields.AwareDateTime(load_default=None, allow_none=True)
    group_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "The local group that runs it; none: national, for everyone"},
    )

    @validates("timezone")
    def _zone(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe", a folder
            raise ValidationError("Not an IANA time zone such as Europe/London.") from None

    @validates_schema
    def _coherent(self, data: dict[str, Any], **_: Any) -> None:
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("The event must end after it starts.", "ends_at")
        if data["kind"] == EventKind.WEBINAR and not data.get("online_url"):
            raise ValidationError("A webinar needs its https link.", "online_url")
        if data["kind"] != EventKind.WEBINAR and not data.get("location"):
            raise ValidationError("Say where it takes place.", "location")


class CancelSchema(Body):
    """The token from the email's cancel link."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=100))


class EventChangesSchema(Body):
    """A coordinator's change to time, place, capacity or text: any of them, at least one."""

    title = fields.String(validate=TITLE)
    description = fields.String(validate=DESCRIPTION)
    translations = translations()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String()
    capacity = fields.Integer(strict=True, validate=CAPACITY)
    online_url = fields.Url(allow_none=True, schemes={"https"})
    location = fields.String(allow_none=True, validate=validate.Length(max=300))
    registration_closes_at = fields.AwareDateTime(allow_none=True)

    _zone = NewEventSchema._zone

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Change at least one field.")


class AttendanceSchema(Body):
    """The registrations that attended."""

    registration_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1, max=1000)
    )
