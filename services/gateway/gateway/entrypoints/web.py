"""The gateway web process: `gunicorn "gateway.entrypoints.web:create_app()"`."""

from __future__ import annotations

from flask import Flask, Response
from sanctuary.problems import answer_errors, install_error_handlers, problem
from sanctuary.web import create_service_app

from gateway.adapters.upstream import Upstream, UpstreamUnavailable
from gateway.bootstrap import bootstrap
from gateway.config import GatewayConfig, from_env
from gateway.entrypoints import routing, site
from gateway.entrypoints.coordinators import api as coordinator_api
from gateway.entrypoints.coordinators import concerns_api, dashboard, privacy_api, reports_api
from gateway.entrypoints.public_api import apidocs
from gateway.entrypoints.public_api import concerns as concerns_public
from gateway.entrypoints.public_api import events as events_api
from gateway.entrypoints.public_api import groups as groups_api
from gateway.entrypoints.public_api import my_data as my_data_api
from gateway.entrypoints.public_api import people as people_api
from gateway.entrypoints.public_api.openapi import DocumentedApi
from gateway.entrypoints.public_pages import concerns as concern_pages
from gateway.entrypoints.public_pages import events as event_pages
from gateway.entrypoints.public_pages import groups as group_pages
from gateway.entrypoints.public_pages import my_data as my_data_pages
from gateway.entrypoints.public_pages import people as people_pages
from gateway.entrypoints.public_pages import unsubscribe
from gateway.service_layer import groups, invitations, staff
from gateway.service_layer.intake import IdempotencyKeyReused

MAX_BODY = 64 * 1024
# Seconds a caller should wait after a 503 (a service behind the gateway not answering).
RETRY_AFTER = "30"

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

# The public blueprints: their POSTs (forms and API alike) share one rate limit per address.
PUBLIC = (
    people_api.blp,
    concerns_public.blp,
    events_api.blp,
    my_data_api.blp,
    people_pages.blp,
    concern_pages.blp,
    event_pages.blp,
    my_data_pages.blp,
)

GROUP_ERRORS: dict[type[Exception], int] = {
    groups.NoSuchGroup: 422,
    groups.UnknownTimezone: 422,
    groups.GroupConflict: 409,
    groups.GroupNotFound: 404,
    routing.NotYourGroup: 422,
    invitations.NotAllowed: 403,
    staff.AlreadyExists: 409,
}


def _register_api(app: Flask) -> None:
    """The JSON API's blueprints, described in its OpenAPI document; JSON only: no CSRF
    token, no HTML error pages."""
    smorest = DocumentedApi(app)
    smorest.spec.components.security_scheme("BearerAuth", {"type": "http", "scheme": "bearer"})
    api = (
        people_api.blp,
        coordinator_api.blp,
        privacy_api.blp,
        reports_api.blp,
        concerns_api.blp,
        concerns_public.blp,
        events_api.blp,
        groups_api.blp,
        groups_api.admin,
        my_data_api.blp,
    )
    for blueprint in api:
        smorest.register_blueprint(blueprint)
        blueprint.csrf_exempt = True  # type: ignore[attr-defined]


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
    app.config["MY_DATA_LINK_MINUTES"] = config.my_data_link_minutes
    _register_api(app)
    app.register_blueprint(site.blp)
    app.register_blueprint(people_pages.blp)
    app.register_blueprint(group_pages.blp)
    app.register_blueprint(event_pages.blp)
    app.register_blueprint(apidocs.blp)
    app.register_blueprint(dashboard.blueprint())
    app.register_blueprint(unsubscribe.blp)
    app.register_blueprint(my_data_pages.blp)
    app.register_blueprint(concern_pages.blp)
    # flask-smorest installs its own HTTP error handler; ours (problem+json) must win.
    install_error_handlers(app)
    site.install(
        app,
        config,
        public=PUBLIC,
    )
    # The group registry's refusals, with the field they are about.
    answer_errors(app, GROUP_ERRORS)
    answer_errors(app, concerns_api.ERRORS)
    for exc_type, (status, title, detail) in ERRORS.items():
        app.register_error_handler(
            exc_type, lambda _exc, s=status, t=title, d=detail: _answer(s, t, d)
        )
    return app


def _answer(status: int, title: str, detail: str) -> Response:
    """A problem document; a 503 says when to try again."""
    response = problem(status, title, detail)
    if status == 503:
        response.headers["Retry-After"] = RETRY_AFTER
    return response
