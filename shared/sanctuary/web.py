"""Flask plumbing every service's web process shares: problem+json errors, the service
credential on internal APIs, and health endpoints."""

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
    ClientDisconnected,
    HTTPException,
    Unauthorized,
    UnprocessableEntity,
)
from werkzeug.http import HTTP_STATUS_CODES

from sanctuary import logs, metrics
from sanctuary.db import ping
from sanctuary.preflight import check_broker, short_reason
from sanctuary.runtime import Service
from sanctuary.unit_of_work import UnitOfWork, new_correlation_id
from sanctuary.vocabulary import Readiness

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested error messages into [{"field", "pointer", "detail"}]."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "" if key == "_schema" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            found.extend(field_errors(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for text in messages:
            pointer = "/" + prefix.replace(".", "/") if prefix else ""
            found.append({"field": prefix or "(body)", "pointer": "#" + pointer, "detail": text})
    elif isinstance(messages, list):
        for value in messages:
            found.extend(field_errors(value, prefix))
    else:
        found.append(
            {
                "field": prefix or "(body)",
                "pointer": "#/" + prefix.replace(".", "/"),
                "detail": str(messages),
            }
        )
    return found


def http_problem(exc: HTTPException) -> Response:
    """An HTTP error as a problem document naming each invalid field."""
    status = exc.code or 500
    # webargs (through flask-smorest's abort) leaves per-field messages in exc.data.
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if messages:
        located = messages.get("json", messages) if isinstance(messages, dict) else messages
        errors = field_errors(located)
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
        response = problem(status, exc.name, detail, errors=errors)
    else:
        response = problem(status, exc.name, exc.description)
    for name, value in exc.get_headers() if status in (401, 405) else []:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def unexpected_problem(exc: Exception) -> Response:
    """A 500 problem document; the traceback goes to the log only, with the route's pattern,
    never the path (a path can hold a token: an unsubscribe link)."""
    route = request.url_rule.rule if request.url_rule else "(unmatched)"
    log.exception("unhandled error on %s %s", request.method, route)
    return problem(500, "Internal Server Error", "Something went wrong on our side.")


def answer_errors(blueprint: Flask | Blueprint, table: dict[type[Exception], int]) -> None:
    """The one table from a service's own exceptions to HTTP answers: a problem with the
    status and the exception's message; a 422 names the field when the exception has one."""
    for exc_type, status in table.items():
        blueprint.register_error_handler(exc_type, lambda exc, s=status: _answer(s, exc))


def _answer(status: int, exc: Exception) -> Response:
    field = getattr(exc, "field", None)
    extra = {"errors": field_errors({field: [str(exc)]})} if status == 422 and field else {}
    return problem(status, HTTP_STATUS_CODES[status], str(exc), **extra)


def install_error_handlers(app: Flask) -> None:
    """Every error, expected or not, answers application/problem+json; never a stack trace."""
    app.register_error_handler(HTTPException, http_problem)
    for slow in (ClientDisconnected, TimeoutError):  # the most precise class's handler wins
        app.register_error_handler(slow, too_slow)
    app.register_error_handler(Exception, unexpected_problem)


def too_slow(exc: Exception) -> Response:
    """A body that stopped before its Content-Length (too slow for sanctuary.serving's read
    limit, which the server reads as its end; or the client went away): 408."""
    return problem(408, "Request Timeout", "The request did not arrive in time.")


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
