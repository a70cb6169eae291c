"""One-click unsubscribe (RFC 8058) from optional emails: `POST /unsubscribe/<token>` as mail
clients send it (no login, no CSRF token: the signed token is the credential), and a `GET`
page with one button for people who follow the link. The notifications service checks the
token and records it."""

from __future__ import annotations

import re

from flask import Blueprint, abort, g, render_template, url_for

from gateway.adapters.upstream import UpstreamUnavailable
from gateway.entrypoints import routing

blp = Blueprint("unsubscribe", __name__)
# A mail client posts from anywhere; the token in the path is what proves the right to ask.
blp.csrf_exempt = True  # type: ignore[attr-defined]

# <category>.<address hash>.<signature>, as notifications makes them; nothing else goes on.
TOKEN = re.compile(r"[a-z]{1,20}\.[0-9a-f]{64}\.[A-Za-z0-9_-]{32}")


@blp.errorhandler(UpstreamUnavailable)
def _notifications_down(_exc: UpstreamUnavailable) -> tuple[str, int, dict[str, str]]:
    # A mail client retries a 503; a person reads that nothing changed yet.
    return render_template("error.html", status=503), 503, {"Retry-After": "60"}


def _checked(token: str) -> str:
    if not TOKEN.fullmatch(token):
        abort(404)
    return token


@blp.get("/unsubscribe/<token>")
def confirm(token: str) -> str:
    """A page with one button: following a link (or a mail scanner doing so) changes nothing."""
    action = url_for("unsubscribe.unsubscribe", token=_checked(token))
    return render_template("unsubscribe.html", done=False, action=action)


@blp.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> str:
    """Record the unsubscribe; the same click twice answers the same."""
    answer = routing.upstream("notifications").forward(
        "POST", f"/internal/v1/unsubscribes/{_checked(token)}", g.correlation_id
    )
    if answer.status_code != 200:
        abort(404)
    return render_template("unsubscribe.html", done=True, action="")
