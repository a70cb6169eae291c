"""Passing a call on to a service's internal API and its answer back, problems included."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from flask import Response, current_app, g, request
from sanctuary.web import current_service
from werkzeug.exceptions import BadRequest

from gateway.adapters.upstream import Upstream
from gateway.service_layer import groups


def upstream(service: str) -> Upstream:
    """The internal API client of `service`, made once per app."""
    clients: dict[str, Upstream] = current_app.extensions["upstreams"]
    return clients[service]


def caller_scope() -> frozenset[uuid.UUID] | None:
    """The groups this request's caller may see: a coordinator's own; None (every group)
    for a network admin, the bootstrap credential and a public request. The internal APIs
    are told (X-Groups) and answer 404 for anything outside it."""
    principal = g.get("principal")
    return None if principal is None or principal.network_admin else principal.groups


def send(service: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """Call `service` on behalf of this request's caller, within the caller's scope."""
    return upstream(service).forward(
        method, path, g.correlation_id, groups=caller_scope(), **kwargs
    )


class NotYourGroup(LookupError):
    """A request names a group that does not exist or is not the caller's (a 422 on `field`:
    the same answer either way, so nobody learns which groups exist)."""

    def __init__(self, field: str, named: str) -> None:
        super().__init__(f"No group {named!r} of yours.")
        self.field = field


def group_id_of(slug: str, field: str = "group") -> uuid.UUID:
    """The id of the group `slug` names, if the caller may see it; NotYourGroup otherwise."""
    found = groups.by_slug(current_service().sessions, slug)
    scope = caller_scope()
    if found is None or (scope is not None and found.id not in scope):
        raise NotYourGroup(field, slug)
    return found.id


def passed_on_query() -> dict[str, list[str]]:
    """This request's query string as the internal APIs take it: ?group=<slug> (repeatable)
    becomes ?group_id=<id>."""
    query = request.args.to_dict(flat=False)
    slugs = query.pop("group", [])
    if slugs:
        query["group_id"] = [str(group_id_of(slug)) for slug in slugs]
    return query


def sole_group() -> dict[str, str]:
    """{"group_id": ...} of the caller's only group, for a coordinator of exactly one group
    (what they schedule is their group's unless they say otherwise); {} for anyone else."""
    scope = caller_scope()
    return {"group_id": str(next(iter(scope)))} if scope and len(scope) == 1 else {}


def with_group_id(body: Any) -> Any:
    """A coordinator's body naming a group by `group` (its slug) as the internal APIs take it,
    `group_id`; a given `group_id` must be a group the caller may see (NotYourGroup)."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    slug = body.pop("group", None)
    if slug is not None and not isinstance(slug, str):
        raise NotYourGroup("group", str(slug))
    if isinstance(slug, str):
        body["group_id"] = str(group_id_of(slug))
    elif isinstance(body.get("group_id"), str):
        found = groups.by_id(current_service().sessions, body["group_id"])
        if found is None:
            raise NotYourGroup("group_id", body["group_id"])
        body["group_id"] = str(group_id_of(found.slug, "group_id"))
    return body


def forward(
    service: str,
    method: str,
    path: str,
    *,
    with_body: bool = False,
    params: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> Response:
    """Send this request on to `service` (with `params` instead of its query string, its
    body over `defaults`, or `body` instead of it, when given); answer with its status, type
    and body."""
    payload: Any = body
    if with_body:
        payload = request.get_json(silent=True) if request.content_length else {}
        if payload is None:
            raise BadRequest("The body must be JSON.")
        if isinstance(payload, dict):
            payload = {**(defaults or {}), **payload}
        payload = with_group_id(payload)
    answer = send(
        service,
        method,
        path,
        json=payload,
        params=passed_on_query() if params is None else params,
    )
    kept = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() in ("content-type", "content-disposition")
    }
    return Response(answer.content, status=answer.status_code, headers=kept)
