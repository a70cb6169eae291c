"""The gateway's HTTP request and response bodies. Requests reject unknown fields (RAISE)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sanctuary import fields as f
from sanctuary.contracts.people import REACH_THEM
from sanctuary.vocabulary import DEFAULT_LOCALE, Locale

from gateway.domain import KINDS


class RequestSchema(f.SafeText, Schema):
    """Base of every request body: an unknown field is an error the caller should hear about."""

    class Meta:
        unknown = RAISE


def strict_bool(default: bool | None = None, **kwargs: Any) -> f.StrictBoolean:
    """Only JSON true and false, never "yes" or 1; optional with `default`, else required."""
    if default is None:
        return f.StrictBoolean(required=True, **kwargs)
    return f.StrictBoolean(load_default=default, **kwargs)


def preferred_language() -> fields.String:
    """The language the person's emails are written in: optional, English unless given."""
    return fields.String(
        load_default=DEFAULT_LOCALE,
        validate=validate.OneOf(tuple(Locale)),
        metadata={"description": "Emails in English (en), Arabic (ar) or Ukrainian (uk)."},
    )


def consent() -> f.StrictBoolean:
    """Consent must be given: JSON true."""
    return strict_bool(
        validate=validate.Equal(True, error="Consent must be given (true) to sign up."),
        metadata={"description": "The person agrees that we store and use these details."},
    )


def special_consent() -> f.StrictBoolean:
    """The separate consent to use languages, gender and needs for matching (ADR 0029)."""
    return strict_bool(
        False,
        metadata={
            "description": "The person agrees that we use their languages, gender and needs "
            "to find them a match (special-category data). Without it, none of them may be "
            "given, and the matcher works without them."
        },
    )


class SpecialConsentRule:
    """Languages, gender and needs only with the separate consent to use them."""

    SPECIAL = ("languages", "gender", "same_gender_only", "needs")

    @validates_schema(skip_on_field_errors=False)  # said with the other mistakes, at once
    def _special_only_with_consent(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("special_consent"):
            return
        given = [field for field in self.SPECIAL if data.get(field)]
        if given:
            raise ValidationError({field: [WITHOUT_SPECIAL_CONSENT] for field in given})


WITHOUT_SPECIAL_CONSENT = (
    "We can use this only with your consent to use it for matching (special_consent)."
)


def group_slug() -> fields.String:
    """The local group the person chose (its slug); otherwise their postcode decides."""
    return f.slug(
        required=False,
        load_default=None,
        allow_none=True,
        metadata={"description": "A local group's slug; without it, the postcode decides."},
    )


def areas(**kwargs: Any) -> fields.List[Any]:
    """The postcode areas and districts a group covers ("S", "S1", "LS6"; "*" everywhere)."""
    return fields.List(
        f.Area(),
        validate=validate.Length(max=500),
        metadata={"description": "Postcode areas or districts; the longest match wins."},
        **kwargs,
    )


class VolunteerSignUpSchema(SpecialConsentRule, RequestSchema):
    """A volunteer's sign-up: only what the welcome and the matching need."""

    name = f.name()
    email = f.email()
    postcode = f.Postcode(required=True, metadata={"example": "LS6 1AA"})
    languages = f.languages(required=False)
    availability = f.availability()
    interests = f.tags()
    gender = f.gender()
    same_gender_only = strict_bool(False)
    max_matches = fields.Integer(
        load_default=1,
        strict=True,
        validate=validate.Range(1, 3),
        metadata={"description": "How many newcomers this volunteer can befriend at once."},
    )
    has_dbs = strict_bool(False)
    group = group_slug()
    locale = preferred_language()
    consent = consent()
    special_consent = special_consent()


class NewcomerRequestSchema(SpecialConsentRule, RequestSchema):
    """A request for a befriender, by the newcomer or a support worker who refers them."""

    name = f.name()
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = f.phone()
    referrer_email = fields.Email(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "A support worker's email, when they refer the newcomer."},
    )
    postcode = f.Postcode(required=True, metadata={"example": "LS6 1AA"})
    languages = f.languages(required=False)
    wants_english_practice = strict_bool(False)
    needs = f.tags()
    interests = f.tags()
    availability = f.availability()
    gender = f.gender()
    same_gender_only = strict_bool(False)
    needs_dbs = strict_bool(False)
    group = group_slug()
    locale = preferred_language()
    consent = consent()
    special_consent = special_consent()

    @validates_schema
    def _someone_to_write_to(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("email") or data.get("phone") or data.get("referrer_email")):
            raise ValidationError(REACH_THEM, "email")


class RegistrationRequestSchema(RequestSchema):
    """A request for a place at an event."""

    name = f.name()
    email = f.email()
    volunteer_id = fields.UUID(load_default=None, allow_none=True)
    newcomer_id = fields.UUID(load_default=None, allow_none=True)
    group = group_slug()
    postcode = f.Postcode(
        load_default=None,
        allow_none=True,
        metadata={"description": "Finds the person's local group when `group` is not given."},
    )
    locale = preferred_language()
    consent = consent()


class GroupChoiceSchema(RequestSchema):
    """The local group a person moves to."""

    group = f.slug(metadata={"description": "The slug of the group they join"})


class InvitationSchema(RequestSchema):
    """Someone to invite to coordinate."""

    email = f.email()
    name = f.name()
    groups = fields.List(f.slug(), load_default=list, validate=validate.Length(max=50))
    network_admin = strict_bool(False)


class InvitedSchema(Schema):
    """An invitation sent: the link in the email works once, until `expires_at`."""

    id = fields.UUID(required=True)
    email = fields.Email(required=True)
    expires_at = fields.AwareDateTime(required=True)


class GroupChangesSchema(RequestSchema):
    """What a network admin may change of a group (the slug stays: links carry it)."""

    name = f.Text(validate=validate.Length(1, 100))
    contact = fields.Email(
        validate=validate.Length(max=254),
        metadata={"description": "The safeguarding contact every email of the group names."},
    )
    areas = areas()
    timezone = fields.String(validate=validate.Length(1, 60), metadata={"example": "Europe/London"})
    description = f.Text(validate=validate.Length(max=500))
    # Its safeguarding lead and deputy (ADR 45): coordinators of the group, by their accounts'
    # emails; null: no one.
    safeguarding_lead = fields.Email(allow_none=True, validate=validate.Length(max=254))
    safeguarding_deputy = fields.Email(allow_none=True, validate=validate.Length(max=254))


class GroupSchema(GroupChangesSchema):
    """A new local group."""

    slug = f.slug()
    name = f.Text(required=True, validate=validate.Length(1, 100))
    contact = fields.Email(required=True, validate=validate.Length(max=254))
    areas = areas(load_default=())
    timezone = fields.String(load_default="Europe/London", validate=validate.Length(1, 60))
    description = f.Text(load_default="", validate=validate.Length(max=500))


class GroupOutSchema(Schema):
    """A local group as anyone may see it."""

    slug = fields.String(required=True)
    name = fields.String(required=True)
    contact = fields.String(required=True)
    areas = fields.List(fields.String(), required=True)
    timezone = fields.String(required=True)
    description = fields.String(required=True)


class AcceptedSchema(Schema):
    """202 Accepted: where to follow what happens next."""

    id = fields.UUID(required=True)
    reference = fields.String(
        required=True,
        metadata={"description": "Short, to read out or type: K7M4-Q2PX", "example": "K7M4-Q2PX"},
    )
    status_url = fields.String(required=True)


class FoundSchema(Schema):
    """What a reference stands for."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    id = fields.UUID(required=True)
    status_url = fields.String(required=True)


class StatusSchema(Schema):
    """A submission's progress, with no personal data."""

    id = fields.UUID(required=True)
    reference = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={
            "description": "Volunteers: received, applied, ready, inactive. "
            "Newcomers: received, waiting, proposed, matched, closed."
        },
    )
    group = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The local group's slug; null while received, or none yet"},
    )


class ProblemSchema(Schema):
    """application/problem+json (RFC 9457), with per-field errors for validation failures."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Dict(), metadata={"description": "[{field, pointer, detail}]"})
