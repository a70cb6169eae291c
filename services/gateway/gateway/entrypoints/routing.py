"""Passing a call on to a service's internal API and its answer back, problems included."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request
from werkzeug.exceptions import BadRequest

from gateway.adapters.upstream import Upstream


def upstream(service: str) -> Upstream:
    """The internal API client of `service`, made once per app."""
    clients: dict[str, Upstream] = current_app.extensions["upstreams"]
    return clients[service]


def forward(
    service: str,
    method: str,
    path: str,
    *,
    with_body: bool = False,
    params: dict[str, Any] | None = None,
) -> Response:
    """Send this request on to `service` (with `params` instead of its query string, when
    given); answer with its status, type and body."""
    payload: Any = None
    if with_body:
        payload = request.get_json(silent=True) if request.content_length else {}
        if payload is None:
            raise BadRequest("The body must be JSON.")
    answer = upstream(service).forward(
        method,
        path,
        g.correlation_id,
        json=payload,
        params=request.args.to_dict(flat=False) if params is None else params,
    )
    kept = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() in ("content-type", "content-disposition")
    }
    return Response(answer.content, status=answer.status_code, headers=kept)
