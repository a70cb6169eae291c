"""`GET /api/v1/reports`: the impact report (ADR 42, 43) for the caller's groups, or the
ones named, over a period; and what the dashboard's Impact page shares with it: reading
what is asked, and making the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sanctuary.web import current_service, invalid
from sanctuary.when import NETWORK_ZONE

from gateway.domain import periods
from gateway.entrypoints import auth, routing
from gateway.entrypoints.public_api import openapi
from gateway.service_layer import groups, reports

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1",
    description="The impact report: anonymous counts by group and period (bearer token).",
)
blp.before_request(auth.require_bearer)
blp.after_request(auth.audit_request("api"))


class GroupNamedSchema(Schema):
    slug = fields.String(allow_none=True, metadata={"description": "null: no local group"})
    name = fields.String()


class ReportSchema(Schema):
    """The figures; counts are exact here (the dashboard's downloads and printable page say
    "fewer than 5" below `small_counts_below`)."""

    from_ = fields.Date(data_key="from")
    to = fields.Date()
    groups = fields.List(fields.Nested(GroupNamedSchema))
    total = fields.Dict(metadata={"description": "volunteers, newcomers, matches, events, emails"})
    by_group = fields.List(fields.Dict(), metadata={"description": "the same, group by group"})
    months = fields.List(fields.Dict(), metadata={"description": "the trend, month by month"})
    small_counts_below = fields.Integer()


@blp.route("/reports", methods=["GET"])
@openapi.documented(
    blp,
    401,
    403,
    422,
    summary="The impact report of the caller's groups (or ?group=, repeatable) from ?from= to "
    "?to= (ISO dates), or over ?period=; the last 12 months by default",
    security=[{"BearerAuth": []}],
    parameters=[
        openapi.query("period", tuple(periods.CHOICES), "A named period, instead of from/to"),
        {"in": "query", "name": "from", "schema": {"type": "string", "format": "date"}},
        {"in": "query", "name": "to", "schema": {"type": "string", "format": "date"}},
        {"in": "query", "name": "group", "schema": {"type": "string"}},
    ],
    responses=openapi.ok(ReportSchema),
)
def impact_report() -> Response:
    return jsonify(made(asked()))


def asked() -> reports.Asked:
    """The period and groups this request asks for: ?from=&to= or ?period=, ?group= (slugs,
    each one the caller's, else 422)."""
    today = datetime.now(NETWORK_ZONE).date()
    args = request.args
    try:
        start, end = periods.between(args.get("from"), args.get("to"), args.get("period"), today)
    except periods.BadPeriod as bad:
        raise invalid({bad.field: [str(bad)]}, "Invalid query.") from None
    slugs = args.getlist("group")
    chosen = None
    if slugs:
        sessions = current_service().sessions
        chosen = [groups.by_id(sessions, routing.group_id_of(slug)) for slug in slugs]
    return reports.Asked(start, end, [c for c in chosen if c] if chosen is not None else None)


def made(what: reports.Asked) -> dict[str, Any]:
    """The report of `what`, within the caller's groups."""
    return reports.report(
        current_app.extensions["upstreams"],
        g.correlation_id,
        routing.caller_scope(),
        what,
        groups.every(current_service().sessions),
    )
