"""The notifications service's internal HTTP API (it needs the service credential)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sanctuary.web import current_service, require_service_token
from sqlalchemy import func, select

from notifications.models import Delivery

blueprint = Blueprint("notifications_internal", __name__, url_prefix="/internal/v1")
require_service_token(blueprint)


@blueprint.get("/deliveries/summary")
def deliveries_summary() -> Response:
    """How many emails are pending, sent and failed: what an operator checks first."""
    with current_service().sessions() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        counts = {"pending": 0, "sent": 0, "failed": 0} | {status: n for status, n in rows}
    return jsonify(counts)
