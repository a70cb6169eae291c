"""The bodies and answers of the safeguarding case files' calls (ADR 45)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sanctuary import fields as f
from sanctuary.safeguarding_words import ConcernEntryKind

from gateway.entrypoints.schemas import RequestSchema


class EntrySchema(RequestSchema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(ConcernEntryKind)))
    body = f.Text(required=True, validate=validate.Length(1, 2000))
    referred_to = f.Text(load_default=None, validate=validate.Length(max=200))


class AcknowledgeSchema(RequestSchema):
    note = f.Text(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "What you do first: kept in the case file as an action"},
    )


class ClosingSchema(RequestSchema):
    outcome = f.Text(load_default=None, validate=validate.Length(max=2000))
    closure_reason = f.Text(load_default=None, validate=validate.Length(max=300))


class NetworkLeadSchema(RequestSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class CaseFileSchema(Schema):
    """A concern as its leads see it; the list leaves out the details and the entries."""

    id = fields.UUID()
    reference = fields.String()
    group_id = fields.UUID(allow_none=True)
    about = fields.Dict()
    category = fields.String()
    urgency = fields.String()
    status = fields.String()
    raised_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    escalated_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    details = fields.String()
    reporter_contact = fields.String(allow_none=True)
    raised_by = fields.UUID(allow_none=True)
    outcome = fields.String(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    entries = fields.List(fields.Dict())


class TrusteesLogSchema(Schema):
    """Counts only: the network's (`all`) and each group's."""

    from_ = fields.Date(data_key="from")
    to = fields.Date()
    all = fields.Dict()
    by_group = fields.List(fields.Dict())
