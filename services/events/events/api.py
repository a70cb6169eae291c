"""The events service's internal HTTP API, for the gateway only (needs the service credential)."""

from __future__ import annotations

from flask import Blueprint
from sanctuary.web import require_service_token

blueprint = Blueprint("events_internal", __name__, url_prefix="/internal/v1")
require_service_token(blueprint)
