"""The public JSON API under /api/v1: thin views that validate, record and answer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sanctuary import references
from sanctuary.web import current_service
from werkzeug.exceptions import Conflict, NotFound, UnsupportedMediaType

from gateway import domain
from gateway.entrypoints import routing
from gateway.entrypoints.public_api.openapi import documented
from gateway.entrypoints.schemas import (
    AcceptedSchema,
    FoundSchema,
    NewcomerRequestSchema,
    StatusSchema,
    VolunteerSignUpSchema,
)
from gateway.entrypoints.submissions import accepted
from gateway.service_layer import groups, intake

blp = Blueprint(
    "people", __name__, url_prefix="/api/v1", description="Volunteer sign-ups and newcomer requests"
)

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": intake.KEY_MAX},
    "description": "Repeat a POST with the same key to get the first answer; it is recorded once.",
}


@blp.before_request
def json_bodies_only() -> None:
    """A public write's body is JSON, said so by its Content-Type (415 otherwise)."""
    if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON, with Content-Type: application/json.")


def status_of(kind: str, submission_id: uuid.UUID, owner: str) -> dict[str, Any]:
    """`received` while only the gateway has it, then the owning service's status, and the
    local group it is with (its slug; null while received, or with no local group yet)."""
    sessions = current_service().sessions
    if not intake.submission_exists(sessions, kind, submission_id):
        raise NotFound(f"No {kind} with this id.")
    answer = routing.upstream(owner).get_json(
        f"/internal/v1/{kind}s/{submission_id}", g.correlation_id
    )
    group_id = answer.get("group_id") if answer else None
    group = groups.by_id(sessions, group_id) if group_id else None
    return {
        "id": submission_id,
        "reference": references.of(submission_id),
        "status": domain.public_status(answer and answer["status"]),
        "group": group.slug if group else None,
    }


@blp.route("/volunteers")
class Volunteers(MethodView):
    @blp.arguments(VolunteerSignUpSchema())  # one instance: webargs would build one a request
    @blp.response(202, AcceptedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @documented(blp, 400, 413, 415, 429)
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    def post(self, form: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Sign up to befriend: accepted at once, then taken in by the matching service."""
        return accepted(
            "volunteer", lambda i, now: domain.volunteer_signed_up(i, form, now), placing=form
        )


@blp.route("/volunteers/<uuid:volunteer_id>")
class VolunteerStatus(MethodView):
    @blp.response(200, StatusSchema)
    @documented(blp, 404, 503)
    def get(self, volunteer_id: uuid.UUID) -> dict[str, Any]:
        """Where a sign-up stands: `received`, then applied, ready or inactive."""
        return status_of("volunteer", volunteer_id, "matching")


# A request that passes the rules the schema cannot say (an email or a referrer's): shown
# in the API docs, and the first case a contract test sends.
NEWCOMER_EXAMPLE = {
    "name": "Amal",
    "email": "amal@example.org",
    "postcode": "LS6 1AA",
    "availability": [{"day": "sat", "part": "morning"}],
    "consent": True,
}


@blp.route("/newcomers")
class Newcomers(MethodView):
    @blp.arguments(NewcomerRequestSchema(), example=NEWCOMER_EXAMPLE)
    @blp.response(202, AcceptedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @documented(blp, 400, 413, 415, 429)
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    def post(self, form: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Ask for a befriender (a newcomer, or a support worker referring them)."""
        return accepted(
            "newcomer", lambda i, now: domain.newcomer_requested(i, form, now), placing=form
        )


@blp.route("/newcomers/<uuid:newcomer_id>")
class NewcomerStatus(MethodView):
    @blp.response(200, StatusSchema)
    @documented(blp, 404, 503)
    def get(self, newcomer_id: uuid.UUID) -> dict[str, Any]:
        """Where a request stands: `received`, then waiting, proposed, matched or closed."""
        return status_of("newcomer", newcomer_id, "matching")


def found(reference: str) -> dict[str, Any]:
    """What a reference stands for: its kind, id and where its status is. 404 when nothing
    has it; 409 in the rare case that two records share it."""
    matches = intake.by_reference(current_service().sessions, reference)
    if not matches:
        raise NotFound("Nothing has this reference: check it against your email.")
    if len(matches) > 1:
        raise Conflict("Two records share this reference: use the link in your email.")
    [(kind, record_id)] = matches
    return {"kind": kind, "id": record_id, "status_url": domain.status_url(kind, record_id)}


@blp.route("/references/<reference>")
class Reference(MethodView):
    @blp.response(200, FoundSchema)
    @documented(blp, 404, 409)
    def get(self, reference: str) -> dict[str, Any]:
        """Find a sign-up, request or registration by the reference it was given (K7M4-Q2PX;
        any case, with or without the hyphen)."""
        return found(reference)
