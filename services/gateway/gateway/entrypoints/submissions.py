"""Recording a public submission from a request: the one path of the JSON API and the pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import request
from sanctuary.web import current_service, unit_of_work
from werkzeug.exceptions import BadRequest

from gateway.service_layer import groups, intake


def idempotency(key: str, body: Any) -> intake.Idempotency:
    """`key` scoped to this request's method and path, and bound to `body`: the API's header
    and a form's hidden key alike."""
    return intake.Idempotency.of(f"{request.method} {request.path}", key, body)


def idempotency_from_header() -> intake.Idempotency | None:
    """The request's Idempotency-Key, scoped to its route and bound to its body; a 400 when
    it is empty or too long."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 0 < len(key) <= intake.KEY_MAX:
        raise BadRequest(f"Idempotency-Key must be 1 to {intake.KEY_MAX} characters.")
    return idempotency(key, request.get_json())


def placed(form: dict[str, Any]) -> dict[str, Any]:
    """The loaded form with its `group` slug replaced by the group's id: the one it names
    (NoSuchGroup, a 422 on `group`, when none has that slug), else the one its postcode falls
    in, else None: the network's "no local group yet" list."""
    slug = form.pop("group", None)
    form["group_id"] = groups.place(current_service().sessions, slug, form.get("postcode"))
    return form


def record(
    kind: str,
    announce: Callable[[uuid.UUID, datetime], Any],
    idempotency: intake.Idempotency | None = None,
) -> dict[str, str]:
    """Record a public submission with its outbox message: the one path of the API and pages."""
    return intake.accept(unit_of_work, kind, announce, idempotency=idempotency)


def accepted(
    kind: str, announce: Callable[[uuid.UUID, datetime], Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Record a public submission with its outbox message; 202 with where to follow it."""
    body = record(kind, announce, idempotency_from_header())
    return body, {"Location": body["status_url"]}
