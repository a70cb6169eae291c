"""`POST /api/v1/concerns`: anyone raises a safeguarding concern about a volunteer, a
newcomer, a match or an event (ADR 45), signed in or not, leaving a way to be reached or
staying anonymous. Accepted at once (202, with a reference to quote); its group's lead and
deputy hear that it waits, never what it says."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sanctuary import fields as f
from sanctuary.safeguarding_words import ConcernAbout, ConcernCategory, ConcernUrgency
from sanctuary.web import bearer_token, current_service

from gateway.adapters.upstream import UpstreamUnavailable
from gateway.entrypoints import auth, routing
from gateway.entrypoints.public_api import people
from gateway.entrypoints.public_api.openapi import documented
from gateway.entrypoints.schemas import RequestSchema
from gateway.service_layer import concerns

blp = Blueprint(
    "concerns_public", __name__, url_prefix="/api/v1", description="Safeguarding concerns"
)
blp.before_request(people.json_bodies_only)
# Where each kind of subject lives, and so its group.
OWNERS = {
    ConcernAbout.VOLUNTEER: ("matching", "/internal/v1/volunteers/{}"),
    ConcernAbout.NEWCOMER: ("matching", "/internal/v1/newcomers/{}"),
    ConcernAbout.MATCH: ("matching", "/internal/v1/matches/{}"),
    ConcernAbout.EVENT: ("events", "/internal/v1/events/{}"),
}


class AboutSchema(RequestSchema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(ConcernAbout)))
    id = fields.UUID(required=True)


class ConcernSchema(RequestSchema):
    """A safeguarding concern: whom or what it is about, its kind, how urgent, what happened."""

    about = fields.Nested(AboutSchema, required=True)
    category = fields.String(required=True, validate=validate.OneOf(tuple(ConcernCategory)))
    urgency = fields.String(required=True, validate=validate.OneOf(tuple(ConcernUrgency)))
    details = f.Text(required=True, validate=validate.Length(1, 4000))
    reporter_contact = f.Text(
        load_default=None,
        validate=validate.Length(max=254),
        metadata={
            "description": "How to reach you (an email or a phone); leave out to stay anonymous"
        },
    )


class ConcernAcceptedSchema(Schema):
    id = fields.UUID(required=True)
    reference = fields.String(required=True, metadata={"example": "K7M4-Q2PX"})


@blp.route("/concerns")
class Concerns(MethodView):
    @blp.arguments(ConcernSchema())
    @blp.response(202, ConcernAcceptedSchema)
    @documented(blp, 400, 401, 403, 413, 415, 429)
    def post(self, concern: dict[str, Any]) -> dict[str, str]:
        """Raise a safeguarding concern, signed in (a coordinator's bearer token) or not. In an
        emergency call 999 first."""
        raised_by = None
        if bearer_token():  # a coordinator raising it: a wrong token is refused, not ignored
            auth.require_bearer()
            raised_by = g.principal.coordinator_id
        group = group_of(concern["about"]["kind"], concern["about"]["id"])
        return concerns.raise_concern(current_service().unit_of_work, concern, group, raised_by)


def group_of(kind: str, subject: uuid.UUID) -> uuid.UUID | None:
    """The group of what a concern is about, as its service says; None when it is unknown or
    the service does not answer (the network's lead takes it: never lost, ADR 45)."""
    service, path = OWNERS[ConcernAbout(kind)]
    try:
        found = routing.upstream(service).get_json(path.format(subject), g.correlation_id)
    except UpstreamUnavailable:
        return None
    group = (found or {}).get("group_id")
    return uuid.UUID(group) if isinstance(group, str) else None
