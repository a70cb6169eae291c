"""The safeguarding case files (ADR 45) under /api/v1/concerns, with a bearer token: listed and
opened only by the group's lead and deputy and the network's lead (anyone else: 404),
acknowledged, added to and closed; each call, refused ones too, audited. And who holds those
roles: a group's lead and deputy (PATCH /api/v1/groups/<slug>), the network's lead."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, g, jsonify
from flask_smorest import Blueprint
from sanctuary import references
from sanctuary.db import as_utc
from sanctuary.safeguarding_words import ConcernEntryKind
from sanctuary.web import current_service, load_body, unit_of_work
from sanctuary.when import NETWORK_ZONE
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from gateway.adapters.models import Concern, ConcernEntry
from gateway.entrypoints import auth, routing
from gateway.entrypoints.concern_schemas import (
    AcknowledgeSchema,
    CaseFileSchema,
    ClosingSchema,
    EntrySchema,
    NetworkLeadSchema,
    TrusteesLogSchema,
)
from gateway.entrypoints.coordinators import reports_api
from gateway.entrypoints.public_api import openapi
from gateway.service_layer import concerns, safeguarding_log, safeguarding_roles

blp = Blueprint(
    "concerns",
    __name__,
    url_prefix="/api/v1",
    description="Safeguarding case files: their group's lead and deputy, and the network's "
    "lead, only (bearer token).",
)
blp.before_request(auth.require_bearer)
blp.after_request(auth.audit_request("api"))
ERRORS = {
    concerns.ConcernNotFound: 404,
    concerns.rules.CaseClosed: 409,
    concerns.rules.OutcomeNeeded: 422,
    concerns.NotAboutAMatch: 409,
    concerns.MatchUnchanged: 409,
    safeguarding_roles.NotALead: 422,
}


def _doc(summary: str, *codes: int, **doc: Any) -> Any:
    return openapi.documented(
        blp, 401, 403, *codes, summary=summary, security=[{"BearerAuth": []}], **doc
    )


def caller_roles(session: Session) -> concerns.Roles:
    """The signed-in caller's safeguarding roles (the API's and the dashboard's), read in the
    request's own session."""
    return concerns.roles_of(session, g.principal.coordinator_id)


@blp.route("/concerns", methods=["GET"])
@_doc(
    "The concerns you may open, the most recent first",
    responses=openapi.ok(CaseFileSchema(many=True)),
)
def list_concerns() -> Response:
    with current_service().sessions() as session:
        return jsonify([case_view(c) for c in concerns.visible(session, caller_roles(session))])


@blp.route("/concerns/<uuid:concern_id>", methods=["GET"])
@_doc(
    "A case file, with every entry; 404 unless you may open it",
    404,
    responses=openapi.ok(CaseFileSchema),
)
def open_concern(concern_id: uuid.UUID) -> Response:
    with current_service().sessions() as session:
        concern = concerns.opened(session, concern_id, caller_roles(session))
        return jsonify(case_view(concern, concerns.entries(session, concern.id)))


@blp.route("/concerns/<uuid:concern_id>/acknowledge", methods=["POST"])
@_doc(
    "Take the concern in hand",
    400,
    404,
    409,
    422,
    requestBody=openapi.body(AcknowledgeSchema),
    responses=openapi.ok(CaseFileSchema),
)
def acknowledge(concern_id: uuid.UUID) -> Response:
    note = load_body(AcknowledgeSchema())["note"]
    with unit_of_work() as uow:
        roles = caller_roles(uow.session)
        taken = concerns.acknowledge(uow, concern_id, roles)
        if note:
            entry = {"kind": ConcernEntryKind.ACTION, "body": note}
            concerns.add_entry(uow, concern_id, roles, entry, g.principal.coordinator_id)
        return jsonify(case_view(taken))


@blp.route("/concerns/<uuid:concern_id>/entries", methods=["POST"])
@_doc(
    "Add an action or a referral",
    400,
    404,
    409,
    422,
    requestBody=openapi.body(EntrySchema, required=True),
)
def add_entry(concern_id: uuid.UUID) -> tuple[Response, int]:
    entry = load_body(EntrySchema())
    with unit_of_work() as uow:
        roles = caller_roles(uow.session)
        added = concerns.add_entry(uow, concern_id, roles, entry, g.principal.coordinator_id)
        return jsonify(_entry(added)), 201


@blp.route("/concerns/<uuid:concern_id>/close", methods=["POST"])
@_doc(
    "Close the case file: an outcome and a reason are needed",
    400,
    404,
    409,
    422,
    requestBody=openapi.body(ClosingSchema, required=True),
    responses=openapi.ok(CaseFileSchema),
)
def close(concern_id: uuid.UUID) -> Response:
    closing = load_body(ClosingSchema())
    with unit_of_work() as uow:
        roles = caller_roles(uow.session)
        closed = concerns.close(
            uow, concern_id, roles, closing["outcome"], closing["closure_reason"]
        )
        return jsonify(case_view(closed))


@blp.route("/concerns/<uuid:concern_id>/match/<any(pause, resume):step>", methods=["POST"])
@_doc(
    "Pause the match the concern is about (no check-ins, its volunteer proposed to nobody "
    "else; the match goes on), or resume it; kept in the case file",
    400,
    404,
    409,
    422,
    requestBody=openapi.body(AcknowledgeSchema),
    responses=openapi.ok(CaseFileSchema),
)
def pause_match(concern_id: uuid.UUID, step: str) -> Response:
    note = load_body(AcknowledgeSchema())["note"]
    with unit_of_work() as uow:
        roles = caller_roles(uow.session)
        return jsonify(case_view(paused(uow, concern_id, roles, step, note)))


def paused(
    uow: Any, concern_id: uuid.UUID, roles: concerns.Roles, step: str, note: str | None
) -> Concern:
    """`concerns.pause_match` for the signed-in caller (the API's route and the dashboard's)."""
    return concerns.pause_match(
        uow,
        concern_id,
        roles,
        step,
        note,
        g.principal.coordinator_id,
        routing.upstream("matching"),
        g.correlation_id,
    )


@blp.route("/safeguarding/network-lead", methods=["PUT"])
@_doc(
    "Make a coordinator account the network's safeguarding lead (network admins)",
    400,
    422,
    requestBody=openapi.body(NetworkLeadSchema, required=True),
)
def network_lead() -> tuple[str, int]:
    if not g.principal.network_admin:
        raise Forbidden("Network admins name the network's safeguarding lead.")
    safeguarding_roles.name_network_lead(unit_of_work, load_body(NetworkLeadSchema())["email"])
    return "", 204


@blp.route("/safeguarding/log", methods=["GET"])
@_doc(
    "The trustees' log, with no names: concerns by category and urgency, still open, and the "
    "median time to acknowledge and to close, for the network and each group (network admins "
    "and safeguarding leads, of the groups they may see); ?from=&to= or ?period=",
    422,
    responses=openapi.ok(TrusteesLogSchema),
)
def trustees_log() -> Response:
    with current_service().sessions() as session:
        roles = caller_roles(session)
        if g.principal.network_admin or roles.network_lead:
            groups = None
        elif roles.leads:
            groups = roles.leads
        else:
            raise Forbidden("The log is for trustees (network admins) and safeguarding leads.")
        asked = reports_api.asked()
        start = datetime.combine(asked.start, time(), NETWORK_ZONE)
        end = datetime.combine(asked.end + timedelta(days=1), time(), NETWORK_ZONE)
        log = safeguarding_log.trustees_log(session, start, end, groups)
    return jsonify({"from": asked.start.isoformat(), "to": asked.end.isoformat(), **log})


def case_view(concern: Concern, entries: list[ConcernEntry] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(concern.id),
        "reference": references.of(concern.id),
        "group_id": str(concern.group_id) if concern.group_id else None,
        "about": {"kind": concern.about, "id": str(concern.about_id)},
        "category": concern.category,
        "urgency": concern.urgency,
        "status": concern.status,
        "raised_by": str(concern.raised_by) if concern.raised_by else None,  # a coordinator
        **{
            moment: (value and as_utc(value).isoformat())
            for moment, value in (
                ("raised_at", concern.raised_at),
                ("acknowledged_at", concern.acknowledged_at),
                ("escalated_at", concern.escalated_at),
                ("closed_at", concern.closed_at),
            )
        },
    }
    if entries is None:
        return view
    return {
        **view,
        "details": concern.details,
        "reporter_contact": concern.reporter_contact,
        "outcome": concern.outcome,
        "closure_reason": concern.closure_reason,
        "entries": [_entry(e) for e in entries],
    }


def _entry(entry: ConcernEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "body": entry.body,
        "referred_to": entry.referred_to,
        "written_at": as_utc(entry.written_at).isoformat(),
    }
