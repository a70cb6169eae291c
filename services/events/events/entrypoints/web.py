"""The events web process: `gunicorn "events.entrypoints.web:create_app()"`."""

from __future__ import annotations

from flask import Flask
from sanctuary.config import ServiceConfig
from sanctuary.web import create_service_app

from events.bootstrap import bootstrap
from events.entrypoints import api


def create_app(config: ServiceConfig | None = None) -> Flask:
    """Build the app; reads the environment only when no configuration is given."""
    return create_service_app("events", bootstrap(config), api.blueprint)
