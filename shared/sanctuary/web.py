"""Flask plumbing every service's web process shares: the app factory, the service
credential on internal APIs, health endpoints and reading bodies (the errors are
sanctuary.problems')."""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    Unauthorized,
    UnprocessableEntity,
)

from sanctuary import logs, metrics
from sanctuary.db import ping
from sanctuary.preflight import check_broker, short_reason
from sanctuary.problems import install_error_handlers, problem
from sanctuary.runtime import Service
from sanctuary.unit_of_work import UnitOfWork, new_correlation_id
from sanctuary.vocabulary import Readiness

log = logging.getLogger(__name__)


def bearer_token() -> str:
    """The token of the request's `Authorization: Bearer <token>`, the scheme in any case
    (RFC 9110: schemes are case-insensitive); "" without one."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def require_service_token(blueprint: Blueprint) -> None:
    """Internal APIs answer only callers holding the service credential (INTERNAL_TOKEN)."""

    @blueprint.before_request
    def _check() -> None:
        expected = current_app.config["INTERNAL_TOKEN"]
        given = bearer_token()
        # An empty credential never matches, even if the setting were empty.
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("This internal API needs the service credential.")


def health_blueprint(engine_of: Callable[[], Engine]) -> Blueprint:
    """/healthz says the process is up; /readyz also checks that its database answers."""
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @blueprint.get("/readyz")
    def readyz() -> Response:
        # Ready means the database answers. The broker is reported, not required: a web
        # process writes to its outbox, so it keeps accepting while the broker is away.
        try:
            ping(engine_of())
        except SQLAlchemyError as exc:
            # A web process does not block at start (ADR 13): each probe says what it waits for.
            reason = short_reason(exc)
            log.warning(
                "not ready: waiting for database: %s",
                reason,
                extra={"event": "waiting for database", "reason": reason},
            )
            return problem(503, "Service Unavailable", "The database does not answer.")
        broker = check_broker(current_app.config["AMQP_URL"], timeout=1)
        reached = Readiness.OK if broker is None else Readiness.UNREACHABLE
        return jsonify(status=Readiness.READY, broker=reached)

    return blueprint


_PROBES = frozenset({"/healthz", "/readyz"})


def _count_requests(app: Flask, name: str) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        # The route's pattern, not the path: ids must not explode the label set.
        route = request.url_rule.rule if request.url_rule else "(unmatched)"
        metrics.HTTP_REQUESTS.labels(name, route, request.method, str(response.status_code)).inc()
        seconds = time.perf_counter() - g.started if "started" in g else 0.0
        metrics.HTTP_SECONDS.labels(name, route).observe(seconds)
        # The access log: the route's pattern, never the path or query, which can hold a
        # cancel token; no client address. Probes only at DEBUG.
        log.log(
            logging.DEBUG if route in _PROBES else logging.INFO,
            "request",
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "ms": round(seconds * 1000, 1),
                "correlation_id": g.get("correlation_id"),
            },
        )
        return response


def _follow_correlation_id(app: Flask) -> None:
    """Every request has a correlation id: the caller's X-Correlation-ID when it is a UUID (the
    gateway sends its own to the services), else a new one; the answer echoes it."""

    @app.before_request
    def _take() -> None:
        try:
            g.correlation_id = str(uuid.UUID(request.headers.get("X-Correlation-ID", "")))
        except ValueError:
            g.correlation_id = new_correlation_id()

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        return response


def _readable_json(app: Flask) -> None:
    """A JSON body is read once before any route does: one that Python cannot read (nested
    thousands deep, a number of thousands of digits) is a 400 here, never a 500 from
    whichever library reads it next."""

    @app.before_request
    def _check() -> None:
        if request.content_length and request.is_json:
            _json_body()


def unit_of_work() -> AbstractContextManager[UnitOfWork]:
    """A unit of work of the service handling this request, carrying its correlation id."""
    return current_service().unit_of_work(g.correlation_id)


def create_service_app(import_name: str, service: Service, *blueprints: Blueprint) -> Flask:
    """The Flask app of a service's web process: logging, errors, health, metrics and its
    blueprints."""
    logs.configure(service.config.service, service.config.log_level)
    app = Flask(import_name)
    _follow_correlation_id(app)
    _count_requests(app, service.config.service)
    _readable_json(app)
    app.config["INTERNAL_TOKEN"] = service.config.internal_token
    app.config["AMQP_URL"] = service.config.amqp_url
    app.extensions["service"] = service
    install_error_handlers(app)
    app.register_blueprint(health_blueprint(lambda: service.engine))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def current_service() -> Service:
    """The wired service of the app handling this request."""
    service: Service = current_app.extensions["service"]
    return service


def invalid(messages: Any, detail: str = "The request body has invalid fields.") -> HTTPException:
    """A 422 whose problem names each field (marshmallow-style messages)."""
    error = UnprocessableEntity(detail)
    error.data = {"messages": messages}  # type: ignore[attr-defined]
    return error


def _json_body() -> Any:
    """The request's body as JSON; a 400 problem for anything else, a nesting too deep or a
    number too long for Python to read (never a 500)."""
    if not request.is_json:
        raise BadRequest("The body must be JSON.")
    try:
        return json.loads(request.get_data(cache=True))
    except RecursionError:
        raise BadRequest("The body must be JSON, nested less deeply.") from None
    except ValueError as exc:  # not JSON, not UTF-8, or a number of thousands of digits
        if "digits" in str(exc):
            raise BadRequest(
                "The body must be JSON, with numbers of at most 4300 digits."
            ) from None
        raise BadRequest("The body must be JSON.") from None


def load_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON loaded by `schema` (an empty body loads as {}); a 400 problem when
    it is not JSON, a 422 naming the fields when it does not fit."""
    data = _json_body() if request.content_length else {}
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise invalid(exc.messages) from None
    return loaded
