"""The gateway web process: `gunicorn "gateway.app:create_app()"`."""

from __future__ import annotations

import uuid

from flask import Flask, Response, g, request
from sanctuary.web import create_service_app, install_error_handlers, problem

from gateway import (
    api,
    apidocs,
    coordinators,
    dashboard,
    event_pages,
    events_api,
    pages,
    site,
    unsubscribe,
)
from gateway.bootstrap import bootstrap
from gateway.config import GatewayConfig, from_env
from gateway.intake import IdempotencyKeyReused
from gateway.openapi import DocumentedApi
from gateway.upstream import Upstream, UpstreamUnavailable

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
    app = create_service_app(__name__, bootstrap(config))
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
    smorest.register_blueprint(api.blp)
    smorest.register_blueprint(coordinators.blp)
    smorest.register_blueprint(events_api.blp)
    # The JSON API answers in JSON only: no CSRF token, no HTML error pages.
    for blueprint in (api.blp, coordinators.blp, events_api.blp):
        blueprint.csrf_exempt = True  # type: ignore[attr-defined]
    app.register_blueprint(site.blp)
    app.register_blueprint(pages.blp)
    app.register_blueprint(event_pages.blp)
    app.register_blueprint(apidocs.blp)
    app.register_blueprint(dashboard.blp)
    app.register_blueprint(unsubscribe.blp)
    # flask-smorest installs its own HTTP error handler; ours (problem+json) must win.
    install_error_handlers(app)
    site.install(app, config, public=(api.blp, events_api.blp, pages.blp, event_pages.blp))
    for exc_type, (status, title, detail) in ERRORS.items():
        app.register_error_handler(
            exc_type, lambda _exc, s=status, t=title, d=detail: problem(s, t, d)
        )
    app.before_request(_correlation_id)
    app.after_request(_echo_correlation_id)
    return app


def _correlation_id() -> None:
    # Follows one person's action through every service; a caller may supply its own.
    given = request.headers.get("X-Correlation-ID", "")
    try:
        g.correlation_id = str(uuid.UUID(given))
    except ValueError:
        g.correlation_id = str(uuid.uuid4())


def _echo_correlation_id(response: Response) -> Response:
    response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
    return response
