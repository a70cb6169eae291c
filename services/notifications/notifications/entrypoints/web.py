"""The notifications web process: `gunicorn "notifications.entrypoints.web:create_app()"`."""

from __future__ import annotations

from flask import Flask
from sanctuary.config import ServiceConfig
from sanctuary.web import create_service_app

from notifications.bootstrap import bootstrap
from notifications.entrypoints import api


def create_app(config: ServiceConfig | None = None) -> Flask:
    """Build the app; reads the environment only when no configuration is given."""
    return create_service_app("notifications", bootstrap(config), api.blueprint)
