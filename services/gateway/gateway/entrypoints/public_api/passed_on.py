"""The shapes of what the gateway passes on from the internal APIs, which validate those
bodies themselves: documentation only, no view loads these schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sanctuary.contracts import CHECKS

# Answers passed on from the events service.


class EventSchema(Schema):
    """An event as anyone may see it (never a webinar's link)."""

    id = fields.UUID(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("webinar", "training", "social")))
    topic = fields.String(required=True, allow_none=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    timezone = fields.String(required=True)
    location = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"description": "published or cancelled"})
    capacity = fields.Integer(required=True)
    places_left = fields.Integer(required=True)


class CoordinatorEventSchema(EventSchema):
    """An event as its coordinator sees it: the webinar's link included."""

    online_url = fields.String(required=True, allow_none=True)


class RegistrationStatusSchema(Schema):
    """Where a registration stands; nothing personal."""

    id = fields.UUID(required=True)
    event_id = fields.UUID(metadata={"description": "Absent while only the gateway has it"})
    status = fields.String(
        required=True,
        validate=validate.OneOf(("received", "confirmed", "waitlisted", "cancelled", "rejected")),
    )
    waitlist_position = fields.Integer(metadata={"description": "While waitlisted: 1 is next"})
    reason = fields.String(metadata={"description": "Why it was rejected"})
    existing_registration_id = fields.UUID(
        metadata={"description": "The same person's earlier registration for this event"}
    )


class RegistrationRowSchema(Schema):
    """One registration in an event's list, for its coordinator."""

    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    status = fields.String(required=True)
    waitlist_position = fields.Integer(required=True, allow_none=True)
    attended = fields.Boolean(required=True)
    volunteer_id = fields.UUID(required=True, allow_none=True)


REGISTRATION_LIST = {
    "200": {
        "description": "Places first, then the waiting list",
        "content": {
            "application/json": {"schema": RegistrationRowSchema(many=True)},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


class CancelSchema(Schema):
    """The token from the email's cancel link."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=100))


class NewEventSchema(Schema):
    """A coordinator's new event: a webinar needs its https link, the others a location."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    kind = fields.String(required=True, validate=validate.OneOf(("webinar", "training", "social")))
    topic = fields.String(allow_none=True, validate=validate.Length(max=60))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(metadata={"description": "IANA name; Europe/London if not given"})
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    online_url = fields.Url(allow_none=True, schemes={"https"})
    location = fields.String(allow_none=True, validate=validate.Length(max=300))
    registration_closes_at = fields.AwareDateTime(allow_none=True)


class EventChangesSchema(Schema):
    """Any of time, place, capacity or text: at least one."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String()
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1))
    online_url = fields.Url(allow_none=True, schemes={"https"})
    location = fields.String(allow_none=True, validate=validate.Length(max=300))
    registration_closes_at = fields.AwareDateTime(allow_none=True)


class AttendanceSchema(Schema):
    """The confirmed registrations that attended."""

    registration_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1, max=1000)
    )


class MarkedSchema(Schema):
    marked = fields.Integer(required=True, metadata={"description": "Newly marked"})


# Answers passed on from the matching service.


class ChecksSchema(Schema):
    """Any of the four checks; at least one."""

    references = fields.String(validate=validate.OneOf(CHECKS["references"]))
    screening = fields.String(validate=validate.OneOf(CHECKS["screening"]))
    dbs = fields.String(validate=validate.OneOf(CHECKS["dbs"]))
    training = fields.String(validate=validate.OneOf(CHECKS["training"]))


class VolunteerRecordSchema(Schema):
    """What a coordinator sees of a volunteer."""

    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    district = fields.String(required=True, metadata={"description": "Postcode district"})
    status = fields.String(required=True, validate=validate.OneOf(("applied", "ready", "inactive")))
    max_matches = fields.Integer(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DecisionSchema(Schema):
    """approve and activate take nothing; reject and end need a reason."""

    reason = fields.String(validate=validate.Length(min=1, max=300))
    newcomer_wants_another = fields.Boolean()


MATCH_STATUSES = ("proposed", "approved", "active", "rejected", "ended")


class MatchSchema(Schema):
    """A match with its score and explanation."""

    id = fields.UUID(required=True)
    volunteer_id = fields.UUID(required=True)
    newcomer_id = fields.UUID(required=True)
    status = fields.String(required=True)
    score = fields.Float(required=True)
    explanation = fields.Dict(required=True)
    reason = fields.String(required=True, allow_none=True)
    approved_at = fields.DateTime(required=True, allow_none=True)
    checkins = fields.List(fields.Nested(lambda: CheckinSchema()), required=True)


class CheckinSchema(Schema):
    """A check-in email of an approved match: two weeks, then three months after approval."""

    name = fields.String(required=True, metadata={"enum": ["two_weeks", "three_months"]})
    due_at = fields.DateTime(required=True)
    sent = fields.Boolean(required=True)


class RunSchema(Schema):
    dry_run = fields.Boolean(metadata={"description": "true (the default) proposes nothing"})


class ProposalSchema(Schema):
    volunteer_id = fields.UUID(required=True)
    newcomer_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    explanation = fields.Dict(required=True)


class UnmatchedSchema(Schema):
    newcomer_id = fields.UUID(required=True)
    why = fields.String(required=True)


class RunResultSchema(Schema):
    """A run's proposals, its total score, and who stays unmatched and why."""

    dry_run = fields.Boolean(required=True)
    total_score = fields.Float(required=True)
    proposals = fields.List(fields.Nested(ProposalSchema), required=True)
    unmatched = fields.List(fields.Nested(UnmatchedSchema), required=True)


class SuggestionSchema(Schema):
    volunteer_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    factors = fields.Dict(required=True)
