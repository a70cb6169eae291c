"""Every error of every web process as an RFC 9457 problem document (application/
problem+json) naming each invalid field; the answer for a database that is not answering
(503 with Retry-After) and a client too slow to send its body (408); never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import ClientDisconnected, HTTPException, ServiceUnavailable
from werkzeug.http import HTTP_STATUS_CODES

from sanctuary.preflight import short_reason

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
# Seconds a client should wait after a 503 because the database is not answering.
DATABASE_RETRY_AFTER = 5


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
    for name, value in exc.get_headers() if status in (401, 405, 503) else []:
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
    for down in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(down, database_down)
    app.register_error_handler(Exception, unexpected_problem)


def database_down(exc: SQLAlchemyError) -> Response:
    """The database not answering (down, restarting, out of connections): a 503 that says
    when to try again, through the app's own HTTP error handler (a page or a problem)."""
    reason = short_reason(exc)
    log.error("database not answering: %s", reason, extra={"event": "database down"})
    down = ServiceUnavailable("The database is not answering; please try again shortly.")
    down.retry_after = DATABASE_RETRY_AFTER
    return current_app.handle_http_exception(down)  # type: ignore[return-value]


def too_slow(exc: Exception) -> Response:
    """A body that stopped before its Content-Length (too slow for sanctuary.serving's read
    limit, which the server reads as its end; or the client went away): 408."""
    return problem(408, "Request Timeout", "The request did not arrive in time.")
