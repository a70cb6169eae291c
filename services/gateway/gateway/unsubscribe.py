"""One-click unsubscribe (RFC 8058) from optional emails: `POST /unsubscribe/<token>` as mail
clients send it (no login, no CSRF token: the signed token is the credential), and a `GET`
page with one button for people who follow the link. The notifications service checks the
token and records it."""

from __future__ import annotations

import re

from flask import Blueprint, abort, g, render_template_string, url_for

from gateway import routing

blp = Blueprint("unsubscribe", __name__)
# A mail client posts from anywhere; the token in the path is what proves the right to ask.
blp.csrf_exempt = True  # type: ignore[attr-defined]

# <category>.<address hash>.<signature>, as notifications makes them; nothing else goes on.
TOKEN = re.compile(r"[a-z]{1,20}\.[0-9a-f]{64}\.[A-Za-z0-9_-]{32}")

PAGE = """{% extends "_layout.html" %}
{% block title %}{{ _("Stop these emails") }}{% endblock %}
{% block content %}
{% if done %}
<h1>{{ _("You will not get these emails any more") }}</h1>
<p>{{ _("Emails you must have, like confirmations and cancellations, still reach you.") }}</p>
{% else %}
<h1>{{ _("Stop these emails?") }}</h1>
<form method="post" action="{{ action }}">
  <div class="actions"><button type="submit">{{ _("Yes, stop them") }}</button></div>
</form>
{% endif %}
{% endblock %}
"""


def _checked(token: str) -> str:
    if not TOKEN.fullmatch(token):
        abort(404)
    return token


@blp.get("/unsubscribe/<token>")
def confirm(token: str) -> str:
    """A page with one button: following a link (or a mail scanner doing so) changes nothing."""
    action = url_for("unsubscribe.unsubscribe", token=_checked(token))
    return render_template_string(PAGE, done=False, action=action)


@blp.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> str:
    """Record the unsubscribe; the same click twice answers the same."""
    answer = routing.upstream("notifications").forward(
        "POST", f"/internal/v1/unsubscribes/{_checked(token)}", g.correlation_id
    )
    if answer.status_code != 200:
        abort(404)
    return render_template_string(PAGE, done=True, action="")
