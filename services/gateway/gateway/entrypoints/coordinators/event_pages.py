"""The dashboard's events: schedule, change, cancel, mark attendance, download the list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, flash, redirect, render_template, request, url_for
from sanctuary import when
from sanctuary.bodies import events as event_bodies
from sanctuary.vocabulary import EventKind
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as Redirect

from gateway.entrypoints import routing
from gateway.entrypoints.coordinators import wording
from gateway.entrypoints.coordinators.dashboard import act, audited, blp, call, fetch

KIND_NAMES = wording.EVENT_KINDS


@blp.app_template_filter("event_when")
def event_when(event: dict[str, Any]) -> str:
    """When an event is, as its public page and its emails say it: "Saturday, 12 December
    2026, 18:00-20:00 (London time)", in its own time zone (the lists showed UTC)."""
    starts, ends = (datetime.fromisoformat(event[k]) for k in ("starts_at", "ends_at"))
    zone = event["timezone"]
    return f"{when.span(starts, ends, zone, 'en')} ({when.city(zone, 'en')} time)"


@blp.app_template_filter("field_time")
def field_time(moment: str, zone: str) -> str:
    """An event's time as its form field shows it: local to the event, to the minute."""
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


@blp.app_template_filter("kind_name")
def kind_name(kind: str) -> str:
    """A kind as a heading says it: Social, Training, Webinar (not the API's social...)."""
    return kind.capitalize()


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
    elif form.get("group", "").strip():
        body["group"] = form["group"].strip()  # a slug; the gateway makes it the group's id
    for name in ("starts_at", "ends_at"):
        if form.get(name):
            body[name] = _when(form, name)
    if form.get("capacity"):
        if not form["capacity"].isdigit():
            raise ValueError("capacity: give a whole number.")
        body["capacity"] = int(form["capacity"])
    translations = _translations(form)
    if translations or changes:  # the edit form shows them all: emptied is removed
        body["translations"] = translations
    return body


# The languages an event's text can be given in beside English, as the form names them.
TRANSLATED = {code: wording.LANGUAGES[code] for code in event_bodies.TRANSLATED}


def _translations(form: dict[str, str]) -> dict[str, dict[str, str]]:
    found = {}
    for locale, name in TRANSLATED.items():
        title = form.get(f"title_{locale}", "").strip()
        description = form.get(f"description_{locale}", "").strip()
        if description and not title:
            raise ValueError(f"title_{locale}: give the title in {name} too.")
        if title:
            found[locale] = {"title": title, "description": description}
    return found


@blp.get("/events")
def events() -> str:
    upcoming = fetch("events", "/internal/v1/events")
    return render_template(
        "coordinator/events.html", events=upcoming, kinds=tuple(EventKind), translated=TRANSLATED
    )


@blp.post("/events")
def create_event() -> Redirect:
    try:
        body = event_body(request.form.to_dict(), changes=False)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".events"), code=303)
    body = routing.with_group_id({**routing.sole_group(), **body})
    return act(
        "events", "POST", "/internal/v1/events", "Event scheduled.", url_for(".events"), json=body
    )


@blp.get("/events/<uuid:event_id>")
@audited
def event(event_id: uuid.UUID) -> str:
    """One event, its registrations (names and emails: audited) and its forms."""
    shown = fetch("events", f"/internal/v1/events/{event_id}")
    registered = fetch("events", f"/internal/v1/events/{event_id}/registrations")
    return render_template(
        "coordinator/event.html", event=shown, registrations=registered, translated=TRANSLATED
    )


@blp.post("/events/<uuid:event_id>/edit")
def change_event(event_id: uuid.UUID) -> Redirect:
    back = url_for(".event", event_id=event_id)
    try:
        body = event_body(request.form.to_dict(), changes=True)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(back, code=303)
    return act("events", "PATCH", f"/internal/v1/events/{event_id}", "Saved.", back, json=body)


@blp.post("/events/<uuid:event_id>/cancel")
def cancel_event(event_id: uuid.UUID) -> Redirect:
    return act(
        "events",
        "POST",
        f"/internal/v1/events/{event_id}/cancel",
        "Cancelled: everyone registered is being told.",
        url_for(".event", event_id=event_id),
    )


@blp.post("/events/<uuid:event_id>/attendance")
def attendance(event_id: uuid.UUID) -> Redirect:
    return act(
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
    answer = call(
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
