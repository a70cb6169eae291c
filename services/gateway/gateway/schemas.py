"""The gateway's HTTP request and response bodies. Requests reject unknown fields (RAISE)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate
from sanctuary import fields as f


class RequestSchema(Schema):
    """Base of every request body: an unknown field is an error the caller should hear about."""

    class Meta:
        unknown = RAISE


class VolunteerSignUpSchema(RequestSchema):
    """A volunteer's sign-up: only what the welcome and the matching need."""

    name = f.name()
    email = f.email()
    postcode = f.Postcode(required=True, metadata={"example": "LS6 1AA"})
    languages = f.languages()
    consent = fields.Boolean(
        required=True,
        # Strict: only JSON true counts as consent, never "yes" or 1.
        truthy={True},
        falsy={False},
        validate=validate.Equal(True, error="Consent must be given (true) to sign up."),
        metadata={"description": "The person agrees that we store and use these details."},
    )


class AcceptedSchema(Schema):
    """202 Accepted: where to follow what happens next."""

    id = fields.UUID(required=True)
    status_url = fields.String(required=True)


class StatusSchema(Schema):
    """A submission's progress, with no personal data."""

    id = fields.UUID(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["received", "applied", "ready", "inactive"]}
    )


class ProblemSchema(Schema):
    """application/problem+json (RFC 9457), with per-field errors for validation failures."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Dict(), metadata={"description": "[{field, pointer, detail}]"})
