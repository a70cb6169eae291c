"""Matching's internal routes for safeguarding (ADR 45): pausing and resuming a match under a
concern, for the gateway, which decides who may (the group's lead and deputy)."""

from __future__ import annotations

import uuid

from flask import Response, jsonify
from sanctuary.scope import caller_groups
from sanctuary.web import unit_of_work

from matching.entrypoints.api import blueprint
from matching.entrypoints.match_views import match_view
from matching.service_layer import safeguarding


@blueprint.post("/matches/<uuid:match_id>/<any(pause, resume):step>")
def pause_match(match_id: uuid.UUID, step: str) -> Response:
    """Pause a match under a concern (no check-ins, its volunteer proposed to nobody else), or
    resume it."""
    with unit_of_work() as uow:
        return jsonify(
            match_view(safeguarding.pause(uow, match_id, step == "pause", caller_groups()))
        )
