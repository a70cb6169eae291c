"""Signing in and out of the dashboard (ADR 32). A guesser is slowed down, never the account:
each (account, client) pair has its own count in the database, where the client is the
browser's device cookie (given at a successful sign-in, bound to that account) or else its
address. One address trying many accounts has a limit of its own."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from flask import (
    Response,
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
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from sanctuary.web import current_service, unit_of_work
from werkzeug.wrappers import Response as Redirect

from gateway.domain import accounts, throttling
from gateway.entrypoints.coordinators.dashboard import blp
from gateway.entrypoints.site import local_path
from gateway.service_layer import sign_in, staff

log = logging.getLogger(__name__)

# One client address trying many accounts (password spraying).
LOGIN_PER_ADDRESS = parse("20 per 15 minutes")
WRONG = "The email or the password is not right."
DEVICE_COOKIE = "coordinator_device"
DEVICE_DAYS = 365

# Where the per-address counts go while the shared storage (Redis) is not answering.
_FALLBACK = FixedWindowRateLimiter(MemoryStorage())


def _count(operation: str, item: Any, *key: str) -> Any:
    """`hit` or `get_window_stats` on the app's limiter storage; in this process's memory
    while that storage is down, so that spraying stays limited and sign-in works."""
    (limiter,) = current_app.extensions["limiter"]  # site.install makes exactly one
    try:
        return getattr(limiter.limiter, operation)(item, *key)
    except Exception:  # Redis down or unreachable: any storage error
        log.warning("sign-in rate limit storage unavailable: counting in this process")
        return getattr(_FALLBACK, operation)(item, *key)


def _wait(seconds: float) -> Response:
    page = render_template("coordinator/login.html", error="Too many tries. Wait, then try again.")
    response = Response(page, status=429)
    response.headers["Retry-After"] = str(max(int(seconds + 0.999), 1))
    return response


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt="coordinator-device")


def _client(account: str) -> str:
    """Who is trying, for the throttle: this browser if it signed in to this account before,
    else its address (both as keys that reveal neither)."""
    try:
        device = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        device = None
    if isinstance(device, dict) and device.get("account") == account:
        return throttling.client_key(str(current_app.secret_key), f"device:{device['id']}")
    return throttling.client_key(str(current_app.secret_key), f"address:{get_remote_address()}")


def _remember_device(response: Response, account: str) -> None:
    cookie = _devices().dumps({"account": account, "id": secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE,
        cookie,
        max_age=DEVICE_DAYS * 86400,
        path=url_for(".login"),
        secure=current_service().config.cookie_secure,  # type: ignore[attr-defined]
        httponly=True,
        samesite="Lax",
    )


@blp.route("/login", methods=["GET", "POST"])
def login() -> Response | Redirect | str:
    """Email and password; the same answer, in the same time, for every kind of wrong."""
    target = local_path(request.values.get("next") or url_for(".index"))
    if request.method == "GET":
        return render_template("coordinator/login.html", next=target)
    email = request.form.get("email", "")
    address_key = ("coordinator-login-address", get_remote_address())
    if not _count("hit", LOGIN_PER_ADDRESS, *address_key):
        reset = _count("get_window_stats", LOGIN_PER_ADDRESS, *address_key).reset_time
        return _wait(reset - time.time())
    # Keyed by the email asked for, known or not, so the slow-down itself tells nothing.
    account = accounts.token_digest(email.strip().lower())
    client = _client(account)
    now = datetime.now(UTC)
    wait_until = sign_in.attempt(unit_of_work, account, client, now)
    if wait_until is not None:
        return _wait((wait_until - now).total_seconds())
    coordinator = staff.sign_in(unit_of_work, email, request.form.get("password", ""))
    if coordinator is None:
        page = render_template("coordinator/login.html", error=WRONG, next=target, email=email)
        return Response(page, status=200)
    sign_in.succeeded(unit_of_work, account, client)
    session.clear()  # a new session (and CSRF token) at every sign-in
    started = time.time()
    session.update(coordinator=str(coordinator.id), signed_in=started, seen=started)
    with current_service().sessions() as db:
        g.principal = staff.principal_of(db, coordinator)
    flash(f"Signed in as {coordinator.display_name}.", "ok")
    response = redirect(target, code=303)
    _remember_device(response, account)
    return response


@blp.post("/logout")
def logout() -> Redirect:
    staff.end_sessions(unit_of_work, g.principal.coordinator_id)
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for(".login"), code=303)
