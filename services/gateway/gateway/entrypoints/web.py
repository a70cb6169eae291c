"""The gateway web process: `gunicorn "gateway.entrypoints.web:create_app()"`."""

from __future__ import annotations

from flask import Flask
from sanctuary.web import create_service_app, install_error_handlers, problem

from gateway.adapters.upstream import Upstream, UpstreamUnavailable
from gateway.bootstrap import bootstrap
from gateway.config import GatewayConfig, from_env
from gateway.entrypoints import site
from gateway.entrypoints.coordinators import api as coordinator_api
from gateway.entrypoints.coordinators import dashboard
from gateway.entrypoints.public_api import apidocs
from gateway.entrypoints.public_api import events as events_api
from gateway.entrypoints.public_api import people as people_api
from gateway.entrypoints.public_api.openapi import DocumentedApi
from gateway.entrypoints.public_pages import events as event_pages
from gateway.entrypoints.public_pages import people as people_pages
from gateway.entrypoints.public_pages import unsubscribe
from gateway.service_layer.intake import IdempotencyKeyReused

MAX_BODY = 64 * 1024

# The one table from domain exceptions to HTTP answers.
ERRORS: dict[type[Exception], tuple[int, str, str]] = {
    IdempotencyKeyReused: (
        422,
        "Idempotency-Key reused",
        "This Idempotency-Key was already used with a different body.",
    ),
    UpstreamUnavailable: (
        503,
        "Service Unavailable",
        "Part of the system is not answering; please try again shortly.",
    ),
}


def create_app(config: GatewayConfig | None = None) -> Flask:
    """Build the app; reads the environment only when no configuration is given."""
    config = config or from_env()
    app = create_service_app("gateway", bootstrap(config))
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        API_TITLE="Sanctuary network gateway",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.extensions["upstreams"] = {
        name: Upstream(name, url, config.internal_token, config.upstream_timeout)
        for name, url in (
            ("matching", config.matching_url),
            ("events", config.events_url),
            ("notifications", config.notifications_url),
        )
    }
    app.config["ADMIN_TOKEN"] = config.admin_token
    smorest = DocumentedApi(app)
    smorest.spec.components.security_scheme("BearerAuth", {"type": "http", "scheme": "bearer"})
    smorest.register_blueprint(people_api.blp)
    smorest.register_blueprint(coordinator_api.blp)
    smorest.register_blueprint(events_api.blp)
    # The JSON API answers in JSON only: no CSRF token, no HTML error pages.
    for blueprint in (people_api.blp, coordinator_api.blp, events_api.blp):
        blueprint.csrf_exempt = True  # type: ignore[attr-defined]
    app.register_blueprint(site.blp)
    app.register_blueprint(people_pages.blp)
    app.register_blueprint(event_pages.blp)
    app.register_blueprint(apidocs.blp)
    app.register_blueprint(dashboard.blueprint())
    app.register_blueprint(unsubscribe.blp)
    # flask-smorest installs its own HTTP error handler; ours (problem+json) must win.
    install_error_handlers(app)
    site.install(
        app, config, public=(people_api.blp, events_api.blp, people_pages.blp, event_pages.blp)
    )
    for exc_type, (status, title, detail) in ERRORS.items():
        app.register_error_handler(
            exc_type, lambda _exc, s=status, t=title, d=detail: problem(s, t, d)
        )
    return app
