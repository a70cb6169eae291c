"""The notifications web process: `gunicorn "notifications.app:create_app()"`."""

from __future__ import annotations

from flask import Flask
from sanctuary.config import ServiceConfig
from sanctuary.web import create_service_app

from notifications import api
from notifications.bootstrap import bootstrap


def create_app(config: ServiceConfig | None = None) -> Flask:
    """Build the app; reads the environment only when no configuration is given."""
    return create_service_app(__name__, bootstrap(config), api.blueprint)
