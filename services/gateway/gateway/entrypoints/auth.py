"""Who is calling the coordinators' JSON API, and an audit record for what they did."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Response, current_app, g, request
from sanctuary.web import bearer_token, unit_of_work
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from gateway.domain import accounts
from gateway.domain.accounts import Access
from gateway.service_layer.staff import Principal, bearer_access, record


def require_bearer() -> None:
    """Before every coordinator API call: a personal token or the bootstrap ADMIN_TOKEN;
    401 (with WWW-Authenticate: Bearer) for none, a wrong or a revoked one, 403 for a
    switched-off account."""
    given = bearer_token()
    access, principal = bearer_access(unit_of_work, given, current_app.config["ADMIN_TOKEN"])
    if access is Access.DEACTIVATED:
        raise Forbidden("This coordinator account is switched off.")
    if principal is None:
        raise Unauthorized(
            "Coordinators only: send Authorization: Bearer <token>.",
            www_authenticate=WWWAuthenticate("Bearer"),
        )
    g.principal = principal


def _group_of(response: Response) -> uuid.UUID | None:
    """The group of what a call acted on, as its JSON answer says (`group_id`); None when it
    says none (a list, a refusal)."""
    if not response.is_json or response.direct_passthrough:
        return None
    body = response.get_json(silent=True)
    raw = body.get("group_id") if isinstance(body, dict) else None
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _dry_run() -> bool:
    body = request.get_json(silent=True) if request.is_json else None
    return isinstance(body, dict) and body.get("dry_run") is True


def audit_request(via: str, wanted: Callable[[], bool] = lambda: True) -> Callable[..., Response]:
    """An after-request hook writing an audit record for each call a known principal made
    (and `wanted()` selects)."""

    def _audit(response: Response) -> Response:
        principal: Principal | None = g.get("principal")
        if principal is None or request.url_rule is None or not wanted():
            return response
        arguments = dict(request.view_args or {})
        record(
            unit_of_work,
            principal,
            via=via,
            action=accounts.audit_action(request.endpoint or "", arguments, dry_run=_dry_run()),
            route=f"{request.method} {request.url_rule.rule}",
            target=accounts.audit_target(arguments),
            status=response.status_code,
            group_id=_group_of(response),
        )
        return response

    return _audit
