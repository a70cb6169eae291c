"""The matching web process: `gunicorn "matching.entrypoints.web:create_app()"`."""

from __future__ import annotations

from flask import Flask
from sanctuary.config import ServiceConfig
from sanctuary.web import create_service_app

from matching.bootstrap import bootstrap
from matching.entrypoints import api, safeguarding_api  # noqa: F401 - adds its routes to api's


def create_app(config: ServiceConfig | None = None) -> Flask:
    """Build the app; reads the environment only when no configuration is given."""
    return create_service_app("matching", bootstrap(config), api.blueprint)
