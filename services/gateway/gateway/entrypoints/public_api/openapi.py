"""The OpenAPI description of the gateway's API: errors as they really are (problem+json,
each status listed, no catch-all), and the shapes of what the gateway passes on from the
internal APIs, which validate those bodies themselves. Documentation only: no view loads
these schemas."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from flask_smorest import Api
from marshmallow import Schema, fields, validate
from sanctuary import fields as f
from sanctuary.contracts import CHECKS
from sanctuary.web import PROBLEM

from gateway.entrypoints.schemas import ProblemSchema

# What each error status means on this API; every documented error is a problem document.
MEANING = {
    400: "The body is not JSON, or a header or query parameter is malformed",
    401: "No or wrong bearer token",
    403: "The link's token does not fit this registration, or the coordinator's account is off",
    404: "Nothing with this id",
    409: "Not allowed in its present state",
    413: "Body over 64 KiB",
    415: "Body not sent as JSON",
    422: "A field is invalid; each one is named in `errors`",
    429: "Too many requests from this address; retry after `Retry-After` seconds",
    503: "A service behind the gateway is not answering; retry shortly",
}


class DocumentedApi(Api):
    """flask-smorest's Api whose error responses say application/problem+json, as they are,
    and with no `default` response, so that every status an operation answers is listed."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # type: ignore[assignment]

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(precise_rules)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, _problem(status.phrase), lazy=True)


# The rules of the shared fields that apispec cannot read from them, so that generated
# "valid" bodies are valid: a slot's shape, a UK postcode, lists without repeats.
SLOT = {
    "type": "object",
    "properties": {
        "day": {"type": "string", "enum": list(f.DAYS)},
        "part": {"type": "string", "enum": list(f.PARTS)},
    },
    "required": ["day", "part"],
    "additionalProperties": False,
}
POSTCODE = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"


def precise_rules(_converter: Any, field: Any, **_: Any) -> dict[str, Any]:
    """An apispec attribute function: the JSON Schema of the rules above."""
    if isinstance(field, f.Slot):
        return SLOT
    if isinstance(field, f.Postcode):
        return {"pattern": POSTCODE}
    named = {getattr(rule, "__name__", "") for rule in field.validators}
    return {"uniqueItems": True} if "_distinct" in named else {}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": ProblemSchema}}}


def documented(blp: Any, *codes: int, **doc: Any) -> Callable[[Any], Any]:
    """`blp.doc` listing these error statuses (with MEANING as their descriptions)."""
    responses = {str(code): _problem(MEANING[code]) for code in codes}
    responses.update(doc.pop("responses", {}))
    return blp.doc(responses=responses, **doc)  # type: ignore[no-any-return]


def ok(schema: Any, status: int = 200, description: str = "OK") -> dict[str, Any]:
    """A success response in JSON, for `documented(..., responses=...)`."""
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def body(schema: Any, required: bool = False) -> dict[str, Any]:
    """A JSON request body, for `documented(..., requestBody=...)`."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def query(name: str, values: tuple[str, ...], description: str) -> dict[str, Any]:
    """An optional query parameter taking one of `values`."""
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": {"type": "string", "enum": list(values)},
        "description": description,
    }


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
