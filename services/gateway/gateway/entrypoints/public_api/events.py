"""Public event pages' API: upcoming events, registering, following and cancelling a place."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, g, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sanctuary.bodies.events import CancelSchema
from sanctuary.vocabulary import SubmissionStatus
from sanctuary.web import current_service
from werkzeug.exceptions import NotFound

from gateway import domain
from gateway.entrypoints import routing
from gateway.entrypoints.public_api.groups import postcode_argument
from gateway.entrypoints.public_api.openapi import body, documented, ok
from gateway.entrypoints.public_api.passed_on import EventSchema, RegistrationStatusSchema
from gateway.entrypoints.public_api.people import IDEMPOTENCY_KEY
from gateway.entrypoints.schemas import AcceptedSchema, RegistrationRequestSchema
from gateway.entrypoints.submissions import accepted
from gateway.service_layer import groups, intake

blp = Blueprint("events", __name__, url_prefix="/api/v1", description="Events and registrations")


@blp.route("/events", methods=["GET"])
@documented(
    blp,
    422,
    503,
    summary="Upcoming published events, soonest first (never a webinar's link); with "
    "?group=<slug> or ?postcode=, the national events and that local group's",
    parameters=[
        {"in": "query", "name": "group", "required": False, "schema": {"type": "string"}},
        {"in": "query", "name": "postcode", "required": False, "schema": {"type": "string"}},
    ],
    responses=ok(EventSchema(many=True)),
)
def upcoming() -> Response:
    return routing.forward("events", "GET", "/internal/v1/events", params=events_of_group())


def events_of_group() -> dict[str, str]:
    """The events service's query for ?group= or ?postcode=: that group's id ({} for every
    event; a 422 for an unknown slug or a postcode that is not one). A postcode no group
    covers yet shows the national events only."""
    slug, postcode = request.args.get("group"), postcode_argument()
    if not slug and not postcode:
        return {}
    group_id = groups.place(current_service().sessions, slug, postcode)
    # No group has the nil id: a postcode no group covers yet sees the national events only.
    return {"group_id": str(group_id or uuid.UUID(int=0))}


@blp.route("/events/<uuid:event_id>", methods=["GET"])
@documented(blp, 404, 503, summary="One event, with the places left", responses=ok(EventSchema))
def event_detail(event_id: uuid.UUID) -> Response:
    return routing.forward("events", "GET", f"/internal/v1/events/{event_id}")


@blp.route("/events/<uuid:event_id>/registrations")
class Registrations(MethodView):
    @blp.arguments(RegistrationRequestSchema())
    @blp.response(202, AcceptedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @documented(blp, 400, 404, 413, 415, 429)
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    def post(
        self, form: dict[str, Any], event_id: uuid.UUID
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Ask for a place: confirmed while places remain, else a place on the waiting list."""
        return accepted(
            "registration",
            lambda i, now: domain.registration_requested(i, event_id, form, now),
            placing=form,
        )


@blp.route("/registrations/<uuid:registration_id>", methods=["GET"])
@documented(
    blp,
    404,
    503,
    summary="received, then confirmed, waitlisted (with waitlist_position), cancelled "
    "or rejected (with the reason)",
    responses=ok(RegistrationStatusSchema),
)
def registration_status(registration_id: uuid.UUID) -> Response:
    if not intake.submission_exists(current_service().sessions, "registration", registration_id):
        raise NotFound("No registration with this id.")
    found = routing.upstream("events").get_json(
        f"/internal/v1/registrations/{registration_id}", g.correlation_id
    )
    return jsonify(found or {"id": str(registration_id), "status": SubmissionStatus.RECEIVED})


@blp.route("/registrations/<uuid:registration_id>/cancel", methods=["POST"])
@documented(
    blp,
    400,
    403,
    404,
    422,
    429,
    503,
    summary="Cancel with the token from the email's link; the place goes to the next one waiting",
    requestBody=body(CancelSchema, required=True),
    responses=ok(RegistrationStatusSchema),
)
def cancel(registration_id: uuid.UUID) -> Response:
    return routing.forward(
        "events", "POST", f"/internal/v1/registrations/{registration_id}/cancel", with_body=True
    )
