"""Recording a public submission from a request: the one path of the JSON API and the pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from flask import request
from sanctuary.web import current_service, unit_of_work
from sqlalchemy.orm import Session
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


def place(form: dict[str, Any], session: Session) -> None:
    """Replace the loaded form's `group` slug by the group's id: the one it names
    (NoSuchGroup, a 422 on `group`, when none has that slug), else the one its postcode falls
    in, else None: the network's "no local group yet" list."""
    form["group_id"] = groups.place_in(session, form.pop("group", None), form.get("postcode"))


def placed(form: dict[str, Any]) -> dict[str, Any]:
    """The form `place`d before it is recorded (a page shows a bad slug on the form)."""
    with current_service().sessions() as session:
        place(form, session)
    return form


def record(
    kind: str,
    announce: Callable[[uuid.UUID, datetime], Any],
    idempotency: intake.Idempotency | None = None,
    placing: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Record a public submission with its outbox message: the one path of the API and pages.
    The API passes its `placing` form, `place`d in the same transaction before `announce`
    reads it; the pages pass none, having `placed` the form first (to show a bad slug on it)."""
    prepare = None if placing is None else partial(place, placing)
    return intake.accept(unit_of_work, kind, announce, idempotency=idempotency, prepare=prepare)


def accepted(
    kind: str,
    announce: Callable[[uuid.UUID, datetime], Any],
    placing: dict[str, Any] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Record a public submission with its outbox message (`placing` its form in its group
    first); 202 with where to follow it."""
    body = record(kind, announce, idempotency_from_header(), placing)
    return body, {"Location": body["status_url"]}
