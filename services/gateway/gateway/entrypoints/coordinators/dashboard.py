"""The coordinators' dashboard under /coordinator: English only (coordinators work in
English, ADR 0015), server-rendered, no JavaScript. Every action is a POST form with CSRF
answered by a redirect and a flash message; the two exceptions show something once (a new
token, a person's contact details) and are never cached. Everything a coordinator does
here, and every page showing contact details, leaves an audit record."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sanctuary.vocabulary import MatchStatus, VolunteerStatus
from sanctuary.web import current_service
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as Redirect

from gateway.adapters.models import Coordinator
from gateway.adapters.upstream import UpstreamUnavailable
from gateway.domain import accounts
from gateway.domain.accounts import Access
from gateway.entrypoints import auth, routing
from gateway.service_layer import staff

blp = Blueprint("dashboard", __name__, url_prefix="/coordinator")
log = logging.getLogger(__name__)

OPEN_VIEWS = {"dashboard.login"}  # reachable without a session
AUDITED_VIEWS: set[str] = set()  # GET pages that show contact details


def audited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET page whose every view is written in the audit log."""
    AUDITED_VIEWS.add(f"{blp.name}.{view.__name__}")
    return view


def _sessions() -> Any:
    return current_service().sessions


@blp.before_request
def _signed_in() -> Redirect | None:
    """A signed-in, active coordinator, or: GET to the login page, a POST refused (401)."""
    if request.endpoint in OPEN_VIEWS:
        return None
    now = time.time()
    access, principal = Access.UNKNOWN, None
    if "coordinator" in session:
        with _sessions()() as db:
            coordinator = db.get(Coordinator, uuid.UUID(session["coordinator"]))
            known = staff.principal_of(db, coordinator) if coordinator else None
        access = accounts.session_access(
            staff.holder(coordinator),
            _at(session.get("signed_in", 0)),
            _at(session.get("seen", 0)),
            _at(now),
        )
        if access is Access.ALLOWED:
            principal = known
    if access is Access.DEACTIVATED:
        abort(403)
    if principal is None:
        for key in ("coordinator", "signed_in", "seen"):
            session.pop(key, None)
        if request.method != "GET":
            abort(401)
        return redirect(url_for(".login", next=request.full_path.rstrip("?")), code=303)
    g.principal = principal
    session["seen"] = now
    return None


blp.after_request(
    auth.audit_request(
        "dashboard", lambda: request.method == "POST" or request.endpoint in AUDITED_VIEWS
    )
)


@blp.after_request
def _never_cached(response: Response) -> Response:
    # Pages with people's names on them stay out of shared and back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.errorhandler(UpstreamUnavailable)
def _upstream_down(_exc: UpstreamUnavailable) -> tuple[str, int]:
    return render_template("error.html", status=503), 503


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


# Calling the services behind the gateway.


def call(service: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return routing.send(service, method, path, **kwargs)


def shown_group() -> dict[str, str]:
    """The group the switcher narrows the pages to ({"group_id": ...}); {} for all of the
    caller's groups. Checked again at each request: a membership may have ended."""
    slug = session.get("group")
    if not slug:
        return {}
    try:
        return {"group_id": str(routing.group_id_of(slug))}
    except routing.NotYourGroup:
        session.pop("group", None)
        return {}


def fetch(service: str, path: str, **params: str) -> Any:
    """GET from a service, within the caller's groups and the one the switcher shows."""
    answer = call(service, "GET", path, params={**params, **shown_group()} or None)
    if answer.status_code == 404:
        raise NotFound()
    if answer.status_code != 200:
        raise UpstreamUnavailable(service)
    return answer.json()


def _problem_text(answer: requests.Response) -> str:
    """A problem document as one readable sentence, each invalid field named."""
    try:
        body = answer.json()
    except ValueError:
        return f"Refused ({answer.status_code})."
    parts = [str(body.get("detail") or body.get("title") or answer.status_code)]
    parts += [f"{e.get('field')}: {e.get('detail')}" for e in body.get("errors", [])]
    return " ".join(parts)


def act(service: str, method: str, path: str, done: str, back: str, **kwargs: Any) -> Redirect:
    """Do one action upstream; flash what happened and go back (POST-redirect-GET). A 404
    (nothing with this id, or another group's) is the dashboard's 404 too."""
    return answered(call(service, method, path, **kwargs), done, back)


def answered(answer: requests.Response, done: str, back: str) -> Redirect:
    """Flash what an action's answer says (`done`, or the problem) and go back; its 404 is
    the dashboard's."""
    if answer.status_code == 404:
        raise NotFound()
    if answer.ok:
        flash(done, "ok")
    else:
        flash(_problem_text(answer), "error")
    return redirect(back, code=303)


# The overview.


@blp.get("/")
def index() -> str:
    approved = fetch("matching", "/internal/v1/matches", status=MatchStatus.APPROVED)
    active = fetch("matching", "/internal/v1/matches", status=MatchStatus.ACTIVE)
    counts = {
        "waiting for checks": len(
            fetch("matching", "/internal/v1/volunteers", status=VolunteerStatus.APPLIED)
        ),
        "proposed matches": len(
            fetch("matching", "/internal/v1/matches", status=MatchStatus.PROPOSED)
        ),
        "approved matches": len(approved),
        "active matches": len(active),
        "check-ins due": sum(checkins_due(m) for m in approved + active),
        "upcoming events": len(fetch("events", "/internal/v1/events")),
        "calls to make": len(fetch("matching", "/internal/v1/calls")),
    }
    return render_template("coordinator/index.html", counts=counts)


# What the overview and the matches page share.


def checkins_due(match: dict[str, Any]) -> int:
    """Check-ins of a match that have fallen due and not gone yet (the clock sends them)."""
    now = datetime.now(UTC)
    return sum(
        1
        for c in match.get("checkins", [])
        if not c["sent"] and datetime.fromisoformat(c["due_at"]) <= now
    )


def blueprint() -> Blueprint:
    """The dashboard, with the routes of every page module added to it."""
    # Imported for their routes: each module adds its pages to `blp`.
    from gateway.entrypoints.coordinators import (  # noqa: F401
        account_pages,
        concern_pages,
        event_pages,
        group_pages,
        impact_pages,
        invitation_pages,
        people_pages,
        sign_in_pages,
    )

    return blp
