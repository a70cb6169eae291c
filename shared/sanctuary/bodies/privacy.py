"""The body of every holder's subject read, `POST /internal/v1/subjects` (ADR 0025)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from sanctuary.fields import SafeText


class SubjectSchema(SafeText, Schema):
    """Who a subject read is about: their email (in the body only, never in a URL or a log
    line; None for a person without one) and any ids of theirs the gateway knows."""

    class Meta:
        unknown = RAISE

    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    volunteer_ids = fields.List(fields.UUID(), load_default=list)
    newcomer_ids = fields.List(fields.UUID(), load_default=list)
    registration_ids = fields.List(fields.UUID(), load_default=list)
