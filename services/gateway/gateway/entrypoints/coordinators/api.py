"""Coordinators' calls under /api/v1, with `Authorization: Bearer <personal token>` (or the
bootstrap ADMIN_TOKEN), routed to the internal API that validates and decides; each call is
audited."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sanctuary.bodies import events as event_bodies
from sanctuary.bodies import matching as matching_bodies
from sanctuary.vocabulary import DeliveryStatus, MatchStatus, VolunteerStatus
from sanctuary.web import current_service, invalid, load_body, unit_of_work

from gateway.entrypoints import auth, routing
from gateway.entrypoints.public_api import openapi, passed_on
from gateway.entrypoints.schemas import GroupChoiceSchema, InvitationSchema, InvitedSchema
from gateway.service_layer import groups, invitations

blp = Blueprint(
    "coordinators",
    __name__,
    url_prefix="/api/v1",
    description="Coordinators: checks, matching runs and decisions (bearer token).",
)
BEARER = {"BearerAuth": []}


# A personal token or the bootstrap ADMIN_TOKEN before every call; an audit record after.
blp.before_request(auth.require_bearer)
blp.after_request(auth.audit_request("api"))


def forward(method: str, path: str, *, with_body: bool = False) -> Response:
    """Coordinators' calls go to the matching service."""
    return routing.forward("matching", method, path, with_body=with_body)


def _doc(summary: str, *codes: int, **doc: Any) -> Any:
    """Documented as a bearer-token call that may answer 401, 403 and the other `codes`."""
    return openapi.documented(blp, 401, 403, *codes, summary=summary, security=[BEARER], **doc)


@blp.route("/volunteers", methods=["GET"])
@_doc(
    "Volunteers, optionally ?status=applied|ready|inactive",
    400,
    503,
    parameters=[openapi.query("status", tuple(VolunteerStatus), "Only these")],
    responses=openapi.ok(passed_on.VolunteerRecordSchema(many=True)),
)
def list_volunteers() -> Response:
    return forward("GET", "/internal/v1/volunteers")


@blp.route("/volunteers/<uuid:volunteer_id>/checks", methods=["POST"])
@_doc(
    "Record references, screening, dbs or training; the status follows",
    400,
    404,
    422,
    503,
    requestBody=openapi.body(matching_bodies.ChecksSchema, required=True),
    responses=openapi.ok(passed_on.VolunteerRecordSchema),
)
def record_checks(volunteer_id: uuid.UUID) -> Response:
    return forward("POST", f"/internal/v1/volunteers/{volunteer_id}/checks", with_body=True)


@blp.route("/<any(volunteers, newcomers):people>/<uuid:person_id>/group", methods=["POST"])
@_doc(
    "Move a person to another local group ({group: slug}), e.g. they moved city; 409 while "
    "a match holds them",
    400,
    404,
    409,
    422,
    503,
    requestBody=openapi.body(GroupChoiceSchema, required=True),
    responses=openapi.ok(passed_on.MovedSchema),
)
def move_person(people: str, person_id: uuid.UUID) -> Response:
    choice = load_body(GroupChoiceSchema())
    target = groups.by_slug(current_service().sessions, choice["group"])
    if target is None:
        raise invalid({"group": [f"No group has the slug {choice['group']!r}."]})
    body = {"group_id": str(target.id)}
    path = f"/internal/v1/{people}/{person_id}/group"
    return routing.forward("matching", "POST", path, params={}, body=body)


@blp.route("/coordinators/invitations", methods=["POST"])
@_doc(
    "Invite someone to coordinate groups of yours ({email, name, groups, network_admin}); "
    "they get a link that sets their password, once, within 72 hours",
    400,
    409,
    422,
    requestBody=openapi.body(InvitationSchema, required=True),
    responses=openapi.ok(InvitedSchema, 201, "Invited"),
)
def invite() -> tuple[dict[str, Any], int]:
    wanted = load_body(InvitationSchema())
    made = invitations.invite(
        unit_of_work,
        g.principal,
        wanted["email"],
        wanted["name"],
        wanted["groups"],
        network_admin=wanted["network_admin"],
    )
    return InvitedSchema().dump(made), 201


@blp.route("/matches", methods=["GET"])
@_doc(
    "Matches with score and explanation, optionally ?status=",
    400,
    503,
    parameters=[openapi.query("status", tuple(MatchStatus), "Only these")],
    responses=openapi.ok(passed_on.MatchSchema(many=True)),
)
def list_matches() -> Response:
    return forward("GET", "/internal/v1/matches")


@blp.route(
    "/matches/<uuid:match_id>/<any(approve, reject, activate, end):action>", methods=["POST"]
)
@_doc(
    "approve | reject {reason} | activate | end {reason, newcomer_wants_another}",
    400,
    404,
    409,
    422,
    503,
    requestBody=openapi.body(matching_bodies.DecisionSchema),
    responses=openapi.ok(passed_on.MatchSchema),
)
def decide(match_id: uuid.UUID, action: str) -> Response:
    return forward("POST", f"/internal/v1/matches/{match_id}/{action}", with_body=True)


@blp.route("/matching/runs", methods=["POST"])
@_doc(
    "Run the matcher now ({dry_run: true|false}): proposals, total, unmatched and why",
    400,
    409,
    422,
    503,
    requestBody=openapi.body(matching_bodies.RunSchema),
    responses=openapi.ok(passed_on.RunResultSchema),
)
def start_run() -> Response:
    return forward("POST", "/internal/v1/runs", with_body=True)


@blp.route("/events", methods=["POST"])
@_doc(
    "Schedule an event (title, kind, starts_at, ends_at, capacity, online_url or location)",
    400,
    422,
    503,
    requestBody=openapi.body(event_bodies.NewEventSchema, required=True),
    responses=openapi.ok(passed_on.CoordinatorEventSchema, 201, "Scheduled"),
)
def create_event() -> Response:
    return routing.forward(
        "events", "POST", "/internal/v1/events", with_body=True, defaults=routing.sole_group()
    )


@blp.route("/events/<uuid:event_id>", methods=["PATCH"])
@_doc(
    "Change time, place, capacity or text; 409 if the capacity would fall below the places given",
    400,
    404,
    409,
    422,
    503,
    requestBody=openapi.body(event_bodies.EventChangesSchema, required=True),
    responses=openapi.ok(passed_on.CoordinatorEventSchema),
)
def change_event(event_id: uuid.UUID) -> Response:
    return routing.forward("events", "PATCH", f"/internal/v1/events/{event_id}", with_body=True)


@blp.route("/events/<uuid:event_id>/cancel", methods=["POST"])
@_doc(
    "Cancel the event; everyone registered is told",
    404,
    409,
    503,
    responses=openapi.ok(passed_on.EventSchema),
)
def cancel_event(event_id: uuid.UUID) -> Response:
    return routing.forward("events", "POST", f"/internal/v1/events/{event_id}/cancel")


@blp.route("/events/<uuid:event_id>/registrations", methods=["GET"])
@_doc(
    "The event's registrations; ?format=csv downloads them",
    404,
    503,
    parameters=[openapi.query("format", ("json", "csv"), "csv: a spreadsheet download")],
    responses=passed_on.REGISTRATION_LIST,
)
def event_registrations(event_id: uuid.UUID) -> Response:
    return routing.forward("events", "GET", f"/internal/v1/events/{event_id}/registrations")


@blp.route("/events/<uuid:event_id>/attendance", methods=["POST"])
@_doc(
    "Mark attendance ({registration_ids}); training attendance completes training",
    400,
    404,
    409,
    422,
    503,
    requestBody=openapi.body(event_bodies.AttendanceSchema, required=True),
    responses=openapi.ok(passed_on.MarkedSchema),
)
def attendance(event_id: uuid.UUID) -> Response:
    return routing.forward(
        "events", "POST", f"/internal/v1/events/{event_id}/attendance", with_body=True
    )


@blp.route("/newcomers/<uuid:newcomer_id>/suggestions", methods=["GET"])
@_doc(
    "The five best ready volunteers for one waiting newcomer",
    404,
    503,
    responses=openapi.ok(passed_on.SuggestionSchema(many=True)),
)
def suggestions(newcomer_id: uuid.UUID) -> Response:
    return forward("GET", f"/internal/v1/newcomers/{newcomer_id}/suggestions")


class DeliverySchema(Schema):
    """One email as the delivery log keeps it."""

    id = fields.UUID(required=True)
    template = fields.String(required=True)
    recipient = fields.Email(required=True)
    status = fields.String(required=True, validate=validate.OneOf(tuple(DeliveryStatus)))
    attempts = fields.Integer(required=True)
    last_reply = fields.String(
        required=True, allow_none=True, metadata={"description": "The last SMTP reply"}
    )
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)


def _parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": schema,
        "description": description,
    }


@blp.route("/deliveries", methods=["GET"])
@_doc(
    "Emails sent, retrying (with the last SMTP reply) or failed; failures first",
    400,
    422,
    503,
    parameters=[
        _parameter("recipient", {"type": "string", "format": "email"}, "Only to this address"),
        openapi.query("status", tuple(DeliveryStatus), "Only these"),
        _parameter("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "At most (50)"),
        _parameter(
            "offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}, "Skip this many"
        ),
    ],
    responses=openapi.ok(DeliverySchema(many=True)),
)
def list_deliveries() -> Response:
    return routing.forward("notifications", "GET", "/internal/v1/deliveries")
