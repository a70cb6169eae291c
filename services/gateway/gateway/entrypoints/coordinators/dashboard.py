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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from sanctuary.contracts import CHECKS
from sanctuary.web import current_service
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as Redirect

from gateway.adapters.models import Coordinator
from gateway.adapters.upstream import UpstreamUnavailable
from gateway.domain import accounts
from gateway.domain.accounts import Access
from gateway.entrypoints import auth, routing
from gateway.entrypoints.site import local_path
from gateway.service_layer import staff

blp = Blueprint("dashboard", __name__, url_prefix="/coordinator")
log = logging.getLogger(__name__)

# Against password guessing: attempts per client address, and failures per account (keyed by
# the email asked for, known or not, so the limit itself tells nothing).
LOGIN_PER_ADDRESS = parse("20 per 15 minutes")
ATTEMPTS_PER_ACCOUNT = parse("10 per 15 minutes")
WRONG = "The email or the password is not right."

EVENT_KINDS = ("social", "training", "webinar")

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
        access = accounts.session_access(
            staff.holder(coordinator),
            _at(session.get("signed_in", 0)),
            _at(session.get("seen", 0)),
            _at(now),
        )
        if access is Access.ALLOWED and coordinator is not None:
            principal = staff.Principal(coordinator.id, coordinator.display_name)
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


def _call(service: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return routing.upstream(service).forward(method, path, g.correlation_id, **kwargs)


def _fetch(service: str, path: str, **params: str) -> Any:
    answer = _call(service, "GET", path, params=params or None)
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


def _act(service: str, method: str, path: str, done: str, back: str, **kwargs: Any) -> Redirect:
    """Do one action upstream; flash what happened and go back (POST-redirect-GET)."""
    answer = _call(service, method, path, **kwargs)
    if answer.ok:
        flash(done, "ok")
    else:
        flash(_problem_text(answer), "error")
    return redirect(back, code=303)


# Signing in and out.


# Where the counts go while the shared storage (Redis) is not answering: this process.
_FALLBACK = FixedWindowRateLimiter(MemoryStorage())


def _count(operation: str, item: Any, *key: str) -> Any:
    """`hit`, `test` or `get_window_stats` on the app's limiter storage; in this process's
    memory while that storage is down, so that guessing stays limited and sign-in works."""
    # Flask-Limiter keeps the app's limiters in a set; site.install makes exactly one.
    (limiter,) = current_app.extensions["limiter"]
    try:
        return getattr(limiter.limiter, operation)(item, *key)
    except Exception:  # Redis down or unreachable: any storage error
        log.warning("sign-in rate limit storage unavailable: counting in this process")
        return getattr(_FALLBACK, operation)(item, *key)


def _too_many(item: Any, *key: str) -> Response:
    wait = max(int(_count("get_window_stats", item, *key).reset_time - time.time()), 1)
    response = Response(
        render_template("coordinator/login.html", error="Too many tries. Wait, then try again."),
        status=429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@blp.route("/login", methods=["GET", "POST"])
def login() -> Redirect | str:
    """Email and password; the same answer, in the same time, for every kind of wrong."""
    target = local_path(request.values.get("next") or url_for(".index"))
    if request.method == "GET":
        return render_template("coordinator/login.html", next=target)
    email = request.form.get("email", "")
    address_key = ("coordinator-login-address", get_remote_address())
    account_key = ("coordinator-login-account", accounts.token_digest(email.strip().lower()))
    if not _count("hit", LOGIN_PER_ADDRESS, *address_key):
        return _too_many(LOGIN_PER_ADDRESS, *address_key)
    # Every attempt counts before the password is checked, so parallel guesses cannot
    # all pass the check before any of them is counted.
    if not _count("hit", ATTEMPTS_PER_ACCOUNT, *account_key):
        return _too_many(ATTEMPTS_PER_ACCOUNT, *account_key)
    coordinator = staff.sign_in(_sessions(), email, request.form.get("password", ""))
    if coordinator is None:
        page = render_template("coordinator/login.html", error=WRONG, next=target, email=email)
        return Response(page, status=200)
    session.clear()  # a new session (and CSRF token) at every sign-in
    now = time.time()
    session.update(coordinator=str(coordinator.id), signed_in=now, seen=now)
    g.principal = staff.Principal(coordinator.id, coordinator.display_name)
    flash(f"Signed in as {coordinator.display_name}.", "ok")
    return redirect(target, code=303)


@blp.post("/logout")
def logout() -> Redirect:
    staff.end_sessions(_sessions(), g.principal.coordinator_id)
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for(".login"), code=303)


# The overview.


@blp.get("/")
def index() -> str:
    approved = _fetch("matching", "/internal/v1/matches", status="approved")
    active = _fetch("matching", "/internal/v1/matches", status="active")
    counts = {
        "waiting for checks": len(_fetch("matching", "/internal/v1/volunteers", status="applied")),
        "proposed matches": len(_fetch("matching", "/internal/v1/matches", status="proposed")),
        "approved matches": len(approved),
        "active matches": len(active),
        "check-ins due": sum(_checkins_due(m) for m in approved + active),
        "upcoming events": len(_fetch("events", "/internal/v1/events")),
    }
    return render_template("coordinator/index.html", counts=counts)


# Volunteers and their checks.


@blp.get("/volunteers")
def volunteers() -> str:
    waiting = _fetch("matching", "/internal/v1/volunteers", status="applied")
    return render_template("coordinator/volunteers.html", volunteers=waiting, checks=CHECKS)


@blp.post("/volunteers/<uuid:volunteer_id>/checks")
def record_checks(volunteer_id: uuid.UUID) -> Redirect:
    changes = {k: v for k in CHECKS if (v := request.form.get(k, "").strip())}
    if not changes:
        flash("Choose at least one check to record.", "error")
        return redirect(url_for(".volunteers"), code=303)
    return _act(
        "matching",
        "POST",
        f"/internal/v1/volunteers/{volunteer_id}/checks",
        "Checks recorded.",
        url_for(".volunteers"),
        json=changes,
    )


@blp.post("/volunteers/<uuid:volunteer_id>/contact")
def volunteer_contact(volunteer_id: uuid.UUID) -> str:
    """Show contact details: a deliberate, audited action; the page is not cached."""
    everyone = _fetch("matching", "/internal/v1/volunteers")
    found = next((v for v in everyone if v["id"] == str(volunteer_id)), None)
    if found is None:
        raise NotFound()
    return render_template("coordinator/contact.html", person=found)


# Matches.


@blp.get("/matches")
def matches() -> str:
    lists = {
        status: _fetch("matching", "/internal/v1/matches", status=status)
        for status in ("proposed", "approved", "active")
    }
    # Volunteers by name (newcomers stay ids: matching lists no newcomers).
    names = {v["id"]: v["name"] for v in _fetch("matching", "/internal/v1/volunteers")}
    now = datetime.now(UTC).isoformat()
    return render_template("coordinator/matches.html", names=names, now=now, **lists)


def _checkins_due(match: dict[str, Any]) -> int:
    """Check-ins of a match that have fallen due and not gone yet (the clock sends them)."""
    now = datetime.now(UTC)
    return sum(
        1
        for c in match.get("checkins", [])
        if not c["sent"] and datetime.fromisoformat(c["due_at"]) <= now
    )


@blp.post("/matches/<uuid:match_id>/<any(approve, reject, activate, end):action>")
def decide(match_id: uuid.UUID, action: str) -> Redirect:
    body: dict[str, Any] = {}
    if action in ("reject", "end") and request.form.get("reason", "").strip():
        body["reason"] = request.form["reason"].strip()  # none: matching says it is needed
    if action == "end":
        body["newcomer_wants_another"] = request.form.get("newcomer_wants_another") == "yes"
    done = {
        "approve": "Approved: both are being introduced by email.",
        "reject": "Rejected.",
        "activate": "Marked as met.",
        "end": "Ended.",
    }[action]
    return _act(
        "matching",
        "POST",
        f"/internal/v1/matches/{match_id}/{action}",
        done,
        url_for(".matches"),
        json=body,
    )


@blp.post("/matching/runs")
def start_run() -> Redirect:
    return _act(
        "matching",
        "POST",
        "/internal/v1/runs",
        "The matcher ran; its proposals are below.",
        url_for(".matches"),
        json={"dry_run": False},
    )


# Events.


def _when(form: dict[str, str], name: str) -> str:
    """A datetime-local field in the event's time zone, as an aware ISO 8601 string."""
    try:
        zone = ZoneInfo(form.get("timezone") or "Europe/London")
        return datetime.fromisoformat(form[name]).replace(tzinfo=zone).isoformat()
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "Europe", a folder
        raise ValueError(f"{name}: give a date and time.") from exc


def event_body(form: dict[str, str], *, changes: bool) -> dict[str, Any]:
    """The events API body from the form's filled fields; raises ValueError naming a field."""
    body: dict[str, Any] = {
        k: form[k].strip()
        for k in ("title", "description", "kind", "timezone", "location", "online_url")
        if form.get(k, "").strip()
    }
    if changes:
        body.pop("kind", None)  # an event's kind is fixed once scheduled
    for name in ("starts_at", "ends_at"):
        if form.get(name):
            body[name] = _when(form, name)
    if form.get("capacity"):
        if not form["capacity"].isdigit():
            raise ValueError("capacity: give a whole number.")
        body["capacity"] = int(form["capacity"])
    return body


@blp.get("/events")
def events() -> str:
    upcoming = _fetch("events", "/internal/v1/events")
    return render_template("coordinator/events.html", events=upcoming, kinds=EVENT_KINDS)


@blp.post("/events")
def create_event() -> Redirect:
    try:
        body = event_body(request.form.to_dict(), changes=False)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".events"), code=303)
    return _act(
        "events", "POST", "/internal/v1/events", "Event scheduled.", url_for(".events"), json=body
    )


@blp.get("/events/<uuid:event_id>")
@audited
def event(event_id: uuid.UUID) -> str:
    """One event, its registrations (names and emails: audited) and its forms."""
    shown = _fetch("events", f"/internal/v1/events/{event_id}")
    registered = _fetch("events", f"/internal/v1/events/{event_id}/registrations")
    return render_template("coordinator/event.html", event=shown, registrations=registered)


@blp.post("/events/<uuid:event_id>/edit")
def change_event(event_id: uuid.UUID) -> Redirect:
    back = url_for(".event", event_id=event_id)
    try:
        body = event_body(request.form.to_dict(), changes=True)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(back, code=303)
    return _act("events", "PATCH", f"/internal/v1/events/{event_id}", "Saved.", back, json=body)


@blp.post("/events/<uuid:event_id>/cancel")
def cancel_event(event_id: uuid.UUID) -> Redirect:
    return _act(
        "events",
        "POST",
        f"/internal/v1/events/{event_id}/cancel",
        "Cancelled: everyone registered is being told.",
        url_for(".event", event_id=event_id),
    )


@blp.post("/events/<uuid:event_id>/attendance")
def attendance(event_id: uuid.UUID) -> Redirect:
    return _act(
        "events",
        "POST",
        f"/internal/v1/events/{event_id}/attendance",
        "Attendance recorded.",
        url_for(".event", event_id=event_id),
        json={"registration_ids": request.form.getlist("registration_ids")},
    )


@blp.get("/events/<uuid:event_id>/registrations.csv")
@audited
def registrations_csv(event_id: uuid.UUID) -> Response:
    answer = _call(
        "events",
        "GET",
        f"/internal/v1/events/{event_id}/registrations",
        params={"format": "csv"},
    )
    if answer.status_code != 200:
        raise NotFound()
    return Response(
        answer.content,
        mimetype="text/csv",
        headers={"Content-Disposition": answer.headers.get("Content-Disposition", "attachment")},
    )


# Email deliveries.

DELIVERY_STATUSES = ("failed", "retrying", "pending", "sending", "sent", "suppressed")


@blp.get("/deliveries")
@audited
def deliveries() -> str:
    """Emails, failures first (recipients' addresses shown: audited); ?status= filters."""
    status = request.args.get("status", "")
    query = {"status": status} if status in DELIVERY_STATUSES else {}
    return render_template(
        "coordinator/deliveries.html",
        summary=_fetch("notifications", "/internal/v1/deliveries/summary"),
        deliveries=_fetch("notifications", "/internal/v1/deliveries", limit="200", **query),
        statuses=DELIVERY_STATUSES,
        status=query.get("status", ""),
    )


# Personal API tokens and the audit log.


@blp.get("/tokens")
def tokens() -> str:
    mine = staff.tokens_of(_sessions(), g.principal.coordinator_id)
    return render_template("coordinator/tokens.html", tokens=mine)


@blp.post("/tokens")
def create_token() -> str:
    """A new personal token, shown on this one answer only."""
    name = request.form.get("name", "").strip() or "token"
    token = staff.issue_token(_sessions(), g.principal.coordinator_id, name)
    mine = staff.tokens_of(_sessions(), g.principal.coordinator_id)
    return render_template("coordinator/tokens.html", tokens=mine, new_token=token, name=name)


@blp.post("/tokens/<uuid:token_id>/revoke")
def revoke_token(token_id: uuid.UUID) -> Redirect:
    if not staff.revoke_token(_sessions(), g.principal.coordinator_id, token_id):
        raise NotFound()
    flash("Token revoked: it no longer opens the API.", "ok")
    return redirect(url_for(".tokens"), code=303)


@blp.get("/audit")
def audit() -> str:
    return render_template("coordinator/audit.html", records=staff.recent(_sessions()))
