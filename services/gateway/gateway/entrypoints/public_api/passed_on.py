"""The shapes of the answers the gateway passes on from the internal APIs: documentation only,
no view loads these schemas. The request bodies it passes on are described by the schemas the
services validate them with (`sanctuary.bodies`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sanctuary.bodies import events as event_bodies
from sanctuary.vocabulary import (
    Checkin,
    EventKind,
    EventStatus,
    RegistrationStatus,
    Standing,
    SubmissionStatus,
    VolunteerStatus,
)

# Answers passed on from the events service.


class EventSchema(Schema):
    """An event as anyone may see it (never a webinar's link)."""

    id = fields.UUID(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    translations = event_bodies.translations(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(tuple(EventKind)))
    topic = fields.String(required=True, allow_none=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    timezone = fields.String(required=True)
    location = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(tuple(EventStatus)))
    capacity = fields.Integer(required=True)
    places_left = fields.Integer(required=True)
    group_id = fields.UUID(
        allow_none=True, metadata={"description": "The local group that runs it; null: national"}
    )


class CoordinatorEventSchema(EventSchema):
    """An event as its coordinator sees it: the webinar's link included."""

    online_url = fields.String(required=True, allow_none=True)


class RegistrationStatusSchema(Schema):
    """Where a registration stands; nothing personal."""

    id = fields.UUID(required=True)
    event_id = fields.UUID(metadata={"description": "Absent while only the gateway has it"})
    status = fields.String(
        required=True,
        validate=validate.OneOf((SubmissionStatus.RECEIVED, *RegistrationStatus)),
    )
    waitlist_position = fields.Integer(metadata={"description": "While waitlisted: 1 is next"})
    reason = fields.String(
        metadata={
            "description": "Why it was rejected: the event is unknown, cancelled or closed "
            "(a request from an address that already has a place reads like a new one, "
            "and its owner is told by email)"
        }
    )
    group_id = fields.UUID(
        allow_none=True, metadata={"description": "The registrant's local group; null: none"}
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
    group_id = fields.UUID(
        allow_none=True, metadata={"description": "The registrant's local group; null: none"}
    )


REGISTRATION_LIST = {
    "200": {
        "description": "Places first, then the waiting list",
        "content": {
            "application/json": {"schema": RegistrationRowSchema(many=True)},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


class MarkedSchema(Schema):
    marked = fields.Integer(required=True, metadata={"description": "Newly marked"})


# Answers passed on from the matching service.


class DatedCheckSchema(Schema):
    """How a check that runs out stands."""

    runs_out = fields.DateTime(allow_none=True, metadata={"description": "null: not held"})
    standing = fields.String(allow_none=True, validate=validate.OneOf(tuple(Standing)))


class VolunteerRecordSchema(Schema):
    """What a coordinator sees of a volunteer."""

    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    district = fields.String(required=True, metadata={"description": "Postcode district"})
    group_id = fields.UUID(
        allow_none=True, metadata={"description": "Their local group; null: none yet"}
    )
    status = fields.String(required=True, validate=validate.OneOf(tuple(VolunteerStatus)))
    max_matches = fields.Integer(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    dated = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(DatedCheckSchema),
        required=True,
        metadata={"description": "The DBS check and training: when each runs out (ADR 44)"},
    )
    paused_since = fields.DateTime(
        allow_none=True,
        metadata={"description": "Since when they paused themselves: not proposed till then"},
    )
    languages = fields.List(
        fields.String(), required=True, metadata={"description": "Empty without their consent"}
    )
    availability = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
        metadata={"description": "[{day, part}]: when they are free"},
    )
    applied_at = fields.DateTime(required=True, metadata={"description": "When they signed up"})


class MatchSchema(Schema):
    """A match with its score and explanation."""

    id = fields.UUID(required=True)
    volunteer_id = fields.UUID(required=True)
    newcomer_id = fields.UUID(required=True)
    group_id = fields.UUID(
        allow_none=True, metadata={"description": "The local group the pair belong to"}
    )
    status = fields.String(required=True)
    score = fields.Float(required=True)
    explanation = fields.Dict(required=True)
    reason = fields.String(required=True, allow_none=True)
    approved_at = fields.DateTime(required=True, allow_none=True)
    paused_at = fields.DateTime(
        allow_none=True, metadata={"description": "Paused under a safeguarding concern"}
    )
    checkins = fields.List(fields.Nested(lambda: CheckinSchema()), required=True)
    volunteer = fields.Nested(
        lambda: PersonInMatchSchema(), metadata={"description": "In lists: first name and area"}
    )
    newcomer = fields.Nested(lambda: PersonInMatchSchema())
    shared = fields.Dict(
        allow_none=True,
        metadata={
            "description": "In lists: the languages, free times ({day, part}), interests and "
            "needs met the two share; null when one of them is erased"
        },
    )


class PersonInMatchSchema(Schema):
    """One of a match's two people, as a list shows them (null once erased)."""

    first_name = fields.String(allow_none=True, required=True)
    district = fields.String(allow_none=True, required=True)
    waiting_since = fields.DateTime(metadata={"description": "The newcomer: when they asked"})


class CheckinSchema(Schema):
    """A check-in email of an approved match: two weeks, then three months after approval."""

    name = fields.String(required=True, metadata={"enum": list(Checkin)})
    due_at = fields.DateTime(required=True)
    sent = fields.Boolean(required=True)


class ProposalSchema(Schema):
    volunteer_id = fields.UUID(required=True)
    newcomer_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    explanation = fields.Dict(required=True)


class UnmatchedSchema(Schema):
    newcomer_id = fields.UUID(required=True)
    why = fields.String(required=True)


class LeftOutSchema(Schema):
    volunteer_id = fields.UUID(required=True)
    why = fields.String(
        required=True, metadata={"example": "DBS check ran out: not matched until renewed"}
    )


class RunResultSchema(Schema):
    """A run's proposals, its total score, who stays unmatched and why, and the volunteers
    left out because a check of theirs ran out (ADR 44)."""

    dry_run = fields.Boolean(required=True)
    total_score = fields.Float(required=True)
    proposals = fields.List(fields.Nested(ProposalSchema), required=True)
    unmatched = fields.List(fields.Nested(UnmatchedSchema), required=True)
    left_out = fields.List(fields.Nested(LeftOutSchema), required=True)


class SuggestionSchema(Schema):
    volunteer_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    factors = fields.Dict(required=True)


class MovedSchema(Schema):
    """A person after a move: their status and their new group."""

    id = fields.UUID(required=True)
    status = fields.String(required=True)
    group_id = fields.UUID(required=True, allow_none=True)
