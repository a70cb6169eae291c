"""People's rights asked for by post or phone (ADR 0025): a coordinator erases a person
everywhere, follows the erasure's completion matrix, and exports what is held about a person.
Scoped to the caller's groups; audited, with the reason kept on the request."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, g, jsonify, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sanctuary import fields as f
from sanctuary.web import current_service, load_body, unit_of_work
from werkzeug.exceptions import NotFound

from gateway.adapters.upstream import UpstreamUnavailable
from gateway.entrypoints import auth, routing
from gateway.entrypoints.public_api import openapi
from gateway.service_layer import privacy

blp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/api/v1",
    description="People's rights: erasure and subject access for requests by post or phone "
    "(bearer token).",
)
BEARER = {"BearerAuth": []}
blp.before_request(auth.require_bearer)
blp.after_request(auth.audit_request("api"))
SUBJECTS_PATH = "/internal/v1/subjects"


class PersonSchema(Schema):
    """A person named by their email, or by their volunteer or newcomer ids."""

    email = fields.Email(load_default=None, validate=validate.Length(max=254))
    volunteer_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    newcomer_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    reason = f.Text(required=True, validate=validate.Length(1, 300))

    @validates_schema
    def _someone(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("email") or data.get("volunteer_ids") or data.get("newcomer_ids")):
            raise ValidationError(
                "Give the person's email, or their volunteer or newcomer ids.", "email"
            )


class ErasureSchema(PersonSchema):
    # Email the person when it is done (if an address is held): say no when they asked not to.
    confirm = f.StrictBoolean(load_default=True)


class AccessSchema(PersonSchema):
    reason = f.Text(load_default="subject access request", validate=validate.Length(1, 300))


class ErasureAcceptedSchema(Schema):
    id = fields.UUID(required=True)
    status = fields.String(required=True, metadata={"enum": [privacy.PENDING]})
    status_url = fields.String(required=True)


class ServiceRowSchema(Schema):
    service = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": [privacy.PENDING, privacy.DONE]})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    kept = fields.Dict(keys=fields.String(), values=fields.String())
    done_at = fields.String(allow_none=True)


class MatrixSchema(Schema):
    id = fields.UUID(required=True)
    status = fields.String(required=True, metadata={"enum": [privacy.PENDING, privacy.COMPLETE]})
    requested_at = fields.String(required=True)
    completed_at = fields.String(allow_none=True)
    services = fields.List(fields.Nested(ServiceRowSchema), required=True)


class ExportSchema(Schema):
    id = fields.UUID(required=True)
    generated_at = fields.String(required=True)
    # Service by service, table by table: every row held about the person.
    services = fields.Dict(keys=fields.String(), values=fields.Dict())


def ask(service: str, body: dict[str, Any]) -> dict[str, Any]:
    """One service's subject read (never scoped: it is about one person, and must be whole)."""
    answer = routing.upstream(service).forward("POST", SUBJECTS_PATH, g.correlation_id, json=body)
    if answer.status_code != 200:
        raise UpstreamUnavailable(service)
    found: dict[str, Any] = answer.json()
    return found


def _person(data: dict[str, Any]) -> privacy.Person:
    """The person the body names, if the caller may act for them; 404 otherwise (the same
    answer as for nobody at all, so a coordinator learns nothing of other groups)."""
    service = current_service()
    ids = {"volunteer_ids": data["volunteer_ids"], "newcomer_ids": data["newcomer_ids"]}
    with service.sessions() as session:
        person = privacy.gather(ask, session, service.config.link_secret, data["email"], ids)
    if not person.found or not person.may_be_seen_by(routing.caller_scope()):
        raise NotFound("Nobody with that email or id in your groups.")
    return person


def _doc(summary: str, *codes: int, **doc: Any) -> Any:
    """Documented as a bearer-token call that may answer 401, 403, 404 and the other `codes`."""
    return openapi.documented(blp, 401, 403, 404, *codes, summary=summary, security=[BEARER], **doc)


@blp.route("/erasures", methods=["POST"])
@_doc(
    "Erase a person everywhere (UK GDPR Art. 17): 202 with the status URL",
    400,
    422,
    503,
    requestBody=openapi.body(ErasureSchema, required=True),
    responses=openapi.ok(ErasureAcceptedSchema, 202, "Accepted: every service erases them"),
)
def request_erasure() -> tuple[Response, int, dict[str, str]]:
    data = load_body(ErasureSchema())
    person = _person(data)
    with unit_of_work() as uow:
        request = privacy.request_erasure(
            uow,
            person,
            current_service().config.link_secret,
            reason=data["reason"],
            requested_by=g.principal.coordinator_id,
            via="api",
            confirm=data["confirm"],
        )
    status_url = url_for("privacy.erasure_status", erasure_id=request.id)
    body = {"id": str(request.id), "status": privacy.PENDING, "status_url": status_url}
    return jsonify(body), 202, {"Location": status_url}


@blp.route("/erasures/<uuid:erasure_id>", methods=["GET"])
@_doc(
    "An erasure's completion matrix: one row per service; complete when all are done",
    responses=openapi.ok(MatrixSchema),
)
def erasure_status(erasure_id: uuid.UUID) -> Response:
    with current_service().sessions() as session:
        request = privacy.find(session, erasure_id)
        if request is None or not privacy.in_scope(request.group_ids, routing.caller_scope()):
            raise NotFound("No such erasure in your groups.")
        return jsonify(privacy.matrix(session, request))


@blp.route("/subject-access", methods=["POST"])
@_doc(
    "Everything held about a person, service by service (UK GDPR Art. 15 and 20)",
    400,
    422,
    503,
    requestBody=openapi.body(AccessSchema, required=True),
    responses=openapi.ok(ExportSchema),
)
def subject_access() -> Response:
    data = load_body(AccessSchema())
    person = _person(data)
    with unit_of_work() as uow:
        request = privacy.record_access(
            uow,
            person,
            current_service().config.link_secret,
            reason=data["reason"],
            requested_by=g.principal.coordinator_id,
            via="api",
        )
        request_id = str(request.id)
    return jsonify({"id": request_id, **privacy.export(person)})
