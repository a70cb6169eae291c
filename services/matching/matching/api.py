"""Matching's internal HTTP API, for the gateway only (it needs the service credential)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, jsonify
from sanctuary.web import current_service, require_service_token
from werkzeug.exceptions import NotFound

from matching.models import Newcomer, Volunteer

blueprint = Blueprint("matching_internal", __name__, url_prefix="/internal/v1")
require_service_token(blueprint)


@blueprint.get("/volunteers/<uuid:volunteer_id>")
def volunteer_status(volunteer_id: uuid.UUID) -> Response:
    """A volunteer's status, and nothing personal."""
    with current_service().sessions() as session:
        volunteer = session.get(Volunteer, volunteer_id)
        if volunteer is None:
            raise NotFound("No volunteer with this id.")
        return jsonify(id=str(volunteer.id), status=volunteer.status)


@blueprint.get("/newcomers/<uuid:newcomer_id>")
def newcomer_status(newcomer_id: uuid.UUID) -> Response:
    """A newcomer's status, and nothing personal."""
    with current_service().sessions() as session:
        newcomer = session.get(Newcomer, newcomer_id)
        if newcomer is None:
            raise NotFound("No newcomer with this id.")
        return jsonify(id=str(newcomer.id), status=newcomer.status)
