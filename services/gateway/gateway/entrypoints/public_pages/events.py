"""The public events pages: upcoming events, one event with its registration form, the
registration's status page, and the cancel page the confirmation email links to.

The pages read through the events service's internal API, as the JSON API does, and
record a registration through the API's own path (the same schema, the same fact), so a
form records exactly what the API would. Nothing personal goes into an address: the
status page holds only the registration's id. A cancel link is only ever followed by a
GET, which shows what would be cancelled; cancelling takes the POST of the page's button,
because mail scanners follow links. With the events service down the pages answer 503
with a page a person can read, and a valid registration is still accepted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sanctuary import references, when
from sanctuary.links import is_cancel_token
from sanctuary.vocabulary import DEFAULT_LOCALE, EventKind, SubmissionStatus
from sanctuary.web import current_service
from werkzeug.wrappers import Response

from gateway import domain
from gateway.adapters.upstream import UpstreamUnavailable
from gateway.entrypoints import routing, submissions
from gateway.entrypoints.public_pages import forms
from gateway.entrypoints.public_pages.forms import FORM_KEY, field_messages, schema_input
from gateway.entrypoints.schemas import RegistrationRequestSchema
from gateway.entrypoints.site import language
from gateway.service_layer import groups, intake

blp = Blueprint("event_pages", __name__)

# Dates and times in the reader's language; British conventions for English.
# How long a "received" status page waits before it looks again by itself.
REFRESH_SECONDS = 3
# Hidden fields a link may carry, so a volunteer's training counts for them.
LINKED_IDS = ("volunteer_id", "newcomer_id")


@blp.errorhandler(UpstreamUnavailable)
def _events_down(_exc: UpstreamUnavailable) -> tuple[str, int, dict[str, str]]:
    return render_template("events_unavailable.html"), 503, {"Retry-After": "30"}


def _upcoming() -> list[dict[str, Any]]:
    answer = routing.upstream("events").forward("GET", "/internal/v1/events", g.correlation_id)
    if answer.status_code != 200:
        raise UpstreamUnavailable("events")
    events: list[dict[str, Any]] = answer.json()
    return events


def _event(event_id: uuid.UUID | str) -> dict[str, Any] | None:
    """One event as a page shows it; None when the events service does not know it."""
    found = routing.upstream("events").get_json(f"/internal/v1/events/{event_id}", g.correlation_id)
    return found and shown(found)


def _registration(registration_id: uuid.UUID) -> dict[str, Any] | None:
    return routing.upstream("events").get_json(
        f"/internal/v1/registrations/{registration_id}", g.correlation_id
    )


def shown(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """An event as a page shows it: when, in its own time zone and the reader's language."""
    starts = datetime.fromisoformat(event["starts_at"])
    ends = datetime.fromisoformat(event["ends_at"])
    # The text in the reader's language if the coordinator gave it, else the English, marked
    # as English (`text_lang`) so a screen reader says it in English.
    reader = language()
    translated = event.get("translations", {}).get(reader)
    return {
        **event,
        **(translated or {}),
        "text_lang": reader if translated else DEFAULT_LOCALE,
        "when": when.span(starts, ends, event["timezone"], reader),
        "city": when.city(event["timezone"], reader),
        "started": starts <= (now or datetime.now(UTC)),
        "online": event["kind"] == EventKind.WEBINAR,
    }


@blp.get("/events")
def upcoming() -> str:
    """Upcoming events, soonest first."""
    return render_template("events.html", events=[shown(e) for e in _upcoming()])


def _event_page(event_id: uuid.UUID, values: Any, errors: dict[str, str]) -> str:
    event = _event(event_id)
    if event is None:
        abort(404)
    return render_template("event_detail.html", event=event, values=values, errors=errors)


@blp.get("/events/<uuid:event_id>")
def event_detail(event_id: uuid.UUID) -> str:
    """One event, and the form to ask for a place."""
    values = {key: request.args[key] for key in LINKED_IDS if key in request.args}
    return _event_page(event_id, {**values, FORM_KEY: str(uuid.uuid4())}, {})


@blp.post("/events/<uuid:event_id>")
def register(event_id: uuid.UUID) -> Response | tuple[str, int]:
    """Record a valid request for a place (even while the events service is down) and go to
    its status page; show the form again with the errors otherwise."""
    schema = RegistrationRequestSchema()
    data = schema_input(schema, request.form, language())
    try:
        form = submissions.placed(schema.load(data))
    except ValidationError as exc:
        return _event_page(event_id, request.form, field_messages(exc.messages)), 422
    except groups.NoSuchGroup as exc:
        return _event_page(event_id, request.form, {"group": str(exc)}), 422
    body = forms.record(
        "registration", lambda i, now: domain.registration_requested(i, event_id, form, now), data
    )
    return redirect(url_for(".registration", registration_id=body["id"]), code=303)


@blp.get("/registrations/<uuid:registration_id>")
def registration(registration_id: uuid.UUID) -> tuple[str, int, dict[str, str]]:
    """Where a registration stands: received, confirmed, waiting (with the position),
    cancelled or rejected (with the reason). Looks again by itself while only received."""
    if not intake.submission_exists(current_service().sessions, "registration", registration_id):
        abort(404)
    found = _registration(registration_id)
    state = found or {"id": str(registration_id), "status": SubmissionStatus.RECEIVED}
    page = render_template(
        "registration_status.html",
        registration=state,
        reference=references.of(registration_id),
        event=found and _event(found["event_id"]),
    )
    # A Refresh header, not a script: the page works, and looks again, without JavaScript.
    waiting = (
        {"Refresh": str(REFRESH_SECONDS)} if state["status"] == SubmissionStatus.RECEIVED else {}
    )
    return page, 200, waiting


def _link_problem(problem: str, status: int) -> tuple[str, int]:
    return render_template("registration_link.html", problem=problem), status


@blp.after_app_request
def _origin_only_referrer(response: Response) -> Response:
    """The cancel page's address holds the token: requests made from it (its stylesheet,
    its button) carry only the site's origin as Referer, which is still what CSRF checks
    over HTTPS. An app-wide hook, registered with the blueprint before site.install, so
    it runs after flask-talisman has set the site's policy (Flask runs them in reverse)."""
    if request.endpoint == "event_pages.cancel_page":
        response.headers["Referrer-Policy"] = "strict-origin"
    return response


@blp.get("/registrations/<uuid:registration_id>/cancel")
def cancel_page(registration_id: uuid.UUID) -> str | tuple[str, int]:
    """What the email's cancel link shows: what would be cancelled, and a button. A GET
    never cancels anything."""
    token = request.args.get("token", "")
    if not is_cancel_token(current_service().config.link_secret, registration_id, token):
        return _link_problem("invalid", 403)
    found = _registration(registration_id)
    if found is None:  # the email comes after the events service has it: not yet, or never
        return _link_problem("unknown", 404)
    return render_template(
        "registration_cancel.html",
        registration=found,
        event=_event(found["event_id"]),
        token=token,
    )


@blp.post("/registrations/<uuid:registration_id>/cancel")
def cancel(registration_id: uuid.UUID) -> Response | tuple[str, int]:
    """The button: cancel, then show the registration's status (cancelled)."""
    token = request.form.get("token", "")
    if not is_cancel_token(current_service().config.link_secret, registration_id, token):
        return _link_problem("invalid", 403)
    answer = routing.upstream("events").forward(
        "POST",
        f"/internal/v1/registrations/{registration_id}/cancel",
        g.correlation_id,
        json={"token": token},
    )
    if answer.status_code == 404:
        return _link_problem("unknown", 404)
    if answer.status_code != 200:  # the events service judges the link otherwise
        return _link_problem("invalid", 403)
    return redirect(url_for(".registration", registration_id=registration_id), code=303)
