"""Passing a call on to a service's internal API and its answer back, problems included."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request

from gateway.upstream import Upstream


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
    status_override: int | None = None,
) -> Response:
    """Send this request on to `service`; answer with its status and body (problem or not)."""
    params = {"status": request.args["status"]} if "status" in request.args else None
    payload: Any = None
    if with_body:
        payload = request.get_json(silent=True) if request.content_length else {}
    status, body = upstream(service).forward(
        method, path, g.correlation_id, json=payload, params=params
    )
    response = jsonify(body)
    response.status_code = status_override if status_override and status < 400 else status
    if status >= 400:
        response.mimetype = "application/problem+json"
    return response
