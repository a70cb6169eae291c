"""The events service's internal HTTP API, for the gateway only (needs the service credential)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import ValidationError, fields
from sanctuary import erasure_records, tally_route
from sanctuary.bodies.events import (
    AttendanceSchema,
    CancelSchema,
    EventChangesSchema,
    NewEventSchema,
)
from sanctuary.bodies.privacy import SubjectSchema
from sanctuary.db import as_utc
from sanctuary.problems import answer_errors
from sanctuary.scope import caller_groups, listed_groups, may_see
from sanctuary.vocabulary import EventStatus, RejectionReason, SubmissionStatus
from sanctuary.web import (
    current_service,
    invalid,
    load_body,
    require_service_token,
    unit_of_work,
)
from sqlalchemy import ColumnElement, or_, select, true
from werkzeug.exceptions import NotFound

from events import domain
from events.adapters.models import Event, Registration, Tally
from events.service_layer import privacy, registrations, scheduling

blueprint = Blueprint("events_internal", __name__, url_prefix="/internal/v1")
require_service_token(blueprint)


tally_route.add(blueprint, Tally)
answer_errors(
    blueprint,
    {
        registrations.NotFound: 404,
        registrations.WrongToken: 403,
        scheduling.NationalEvent: 403,
        scheduling.UnknownGroup: 404,
        scheduling.CapacityBelowConfirmed: 409,
        domain.EventCancelled: 409,
        scheduling.InvalidChange: 422,
        scheduling.NotAttendable: 422,
    },
)


def public_view(event: Event) -> dict[str, Any]:
    """What anyone may see of an event: never the webinar link."""
    return {
        "id": str(event.id),
        "title": event.title,
        "description": event.description,
        "translations": event.translations or {},
        "kind": event.kind,
        "topic": event.topic,
        "starts_at": as_utc(event.starts_at).isoformat(),
        "ends_at": as_utc(event.ends_at).isoformat(),
        "timezone": event.timezone,
        "location": event.location,
        "status": event.status,
        "capacity": event.capacity,
        "places_left": max(event.capacity - event.confirmed, 0),
        "group_id": event.group_id and str(event.group_id),  # None: national
    }


@blueprint.post("/events")
def create_event() -> tuple[Response, int]:
    """A coordinator schedules an event; 201 with it (link included, for the coordinator).
    With X-Groups, only for one of those groups: another is 404, a national event 403."""
    data = load_body(NewEventSchema())
    with unit_of_work() as uow:
        event = scheduling.schedule(uow, data, caller_groups())
    return jsonify({**public_view(event), "online_url": event.online_url}), 201


def _query_value(name: str, field: fields.Field[Any], values: list[str]) -> list[Any]:
    """Each of the query's `values` for `name`, loaded by `field`; a 422 naming it if not."""
    try:
        return [field.deserialize(value) for value in values]
    except ValidationError as exc:
        raise invalid({name: exc.messages}, "The query has invalid parameters.") from None


def _of_groups() -> ColumnElement[bool]:
    """Which events the list shows, by ?group_id= (repeatable) and ?national=, within the
    groups this call may see (X-Groups)."""
    [national] = _query_value("national", fields.Boolean(), [request.args.get("national", "true")])
    groups = listed_groups()
    if groups is None:
        return true() if national else Event.group_id.is_not(None)
    local = Event.group_id.in_(groups)
    return or_(local, Event.group_id.is_(None)) if national else local


@blueprint.get("/events")
def upcoming() -> Response:
    """Published events that have not started, soonest first.

    ?group_id=<uuid>, repeatable: only those groups' events, and the national ones (which
    have no group); without it, every group's. ?national=false leaves the national events
    out. A value that is not a UUID (or a boolean) is a 422 naming the parameter. With
    X-Groups, only those groups' events (of those asked for) and the national ones."""
    shown = _of_groups()
    with current_service().sessions() as session:
        events = session.scalars(
            select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at > datetime.now(UTC),
                shown,
            )
            .order_by(Event.starts_at, Event.id)
        ).all()
        return jsonify([public_view(e) for e in events])


@blueprint.get("/events/<uuid:event_id>")
def event_detail(event_id: uuid.UUID) -> Response:
    """One event, as anyone may see it; with X-Groups, one of those groups' or a national one."""
    with current_service().sessions() as session:
        event = session.get(Event, event_id)
        if event is None or not may_see(event.group_id, national=True):
            raise NotFound("No event with this id.")
        return jsonify(public_view(event))


def registration_view(session: Any, registration: Registration) -> dict[str, Any]:
    """A registration's status, with its queue position while waiting; nothing personal.

    Anyone holding the id reads it, so it says nothing about another registration: a
    duplicate answers as a new request would have been (ADR 31), without its reason or the
    place the address already holds (a duplicate decided before that shows `received`)."""
    view: dict[str, Any] = {
        "id": str(registration.id),
        "event_id": str(registration.event_id),
        "status": registration.status,
        "group_id": registration.group_id and str(registration.group_id),
    }
    if registration.reason == RejectionReason.ALREADY_REGISTERED:
        view["status"] = registration.shown_as or SubmissionStatus.RECEIVED
    elif registration.reason:
        view["reason"] = registration.reason
    position = registrations.waitlist_position(session, registration)
    if position is not None:
        view["waitlist_position"] = position
    return view


@blueprint.get("/registrations/<uuid:registration_id>")
def registration_status(registration_id: uuid.UUID) -> Response:
    """Where a registration stands."""
    with current_service().sessions() as session:
        registration = session.get(Registration, registration_id)
        if registration is None:
            raise NotFound("No registration with this id.")
        return jsonify(registration_view(session, registration))


@blueprint.post("/registrations/<uuid:registration_id>/cancel")
def cancel(registration_id: uuid.UUID) -> Response:
    """Cancel with the email link's token; the first person waiting gets the place."""
    token = load_body(CancelSchema())["token"]
    with unit_of_work() as uow:
        secret = current_service().config.link_secret
        registration = registrations.cancel(uow, registration_id, token, secret)
        return jsonify(registration_view(uow.session, registration))


@blueprint.patch("/events/<uuid:event_id>")
def change_event(event_id: uuid.UUID) -> Response:
    """Change time, place, capacity or text; raising the capacity promotes people at once.
    With X-Groups, one of those groups' events only: another's is 404, a national one 403."""
    changes = load_body(EventChangesSchema())
    with unit_of_work() as uow:
        event = scheduling.update_event(uow, event_id, changes, caller_groups())
    return jsonify({**public_view(event), "online_url": event.online_url})


@blueprint.post("/events/<uuid:event_id>/cancel")
def cancel_event(event_id: uuid.UUID) -> Response:
    """Cancel the event; everyone registered is told (event.cancelled). With X-Groups, one of
    those groups' events only: another's is 404, a national one 403."""
    with unit_of_work() as uow:
        event = scheduling.cancel_event(uow, event_id, caller_groups())
    return jsonify(public_view(event))


@blueprint.post("/events/<uuid:event_id>/attendance")
def attendance(event_id: uuid.UUID) -> Response:
    """Mark who attended; at training events this completes their training. With X-Groups,
    another group's registration is refused as an unknown one."""
    ids = load_body(AttendanceSchema())["registration_ids"]
    with unit_of_work() as uow:
        marked = scheduling.record_attendance(uow, event_id, ids, caller_groups())
    return jsonify(marked=marked)


@blueprint.get("/events/<uuid:event_id>/registrations")
def event_registrations(event_id: uuid.UUID) -> Response:
    """Every registration of the event, for its coordinator; ?format=csv to download. With
    X-Groups, only those groups' people."""
    with current_service().sessions() as session:
        rows = scheduling.registrations_of(session, event_id, caller_groups())
    if request.args.get("format") != "csv":
        return jsonify(rows)
    out = io.StringIO()
    columns = ["id", "name", "email", "status", "waitlist_position", "attended"]
    # Every cell quoted, so a spreadsheet splitting on ";" or a tab keeps it whole; and
    # guarded, so none of its parts runs as a formula (issue 16, point 8).
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows({k: _safe_cell(v) for k, v in row.items()} for row in rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.csv"'},
    )


@blueprint.post("/subjects")
def subject() -> Response:
    """Every row about one person, for a subject-access request or before their erasure
    (ADR 0025). Not filtered by groups: it is about one person and must be whole; the
    gateway decides who may see it by the group_ids answered. The address comes in the body
    only, never in a URL or a log line."""
    data = load_body(SubjectSchema())
    service = current_service()
    with service.sessions() as session:
        found = privacy.export(session, service.config.link_secret, data["email"], data)
    asked = [*data["volunteer_ids"], *data["newcomer_ids"], *data["registration_ids"]]
    found = erasure_records.with_queued(found, service.config, data["email"], asked)
    return jsonify({"service": "events", **found})


# What a spreadsheet may split a cell on (the separator differs by locale: "," in English,
# ";" in much of Europe, a tab or a line), then what starts a formula there.
_SPLIT_THEN_FORMULA = re.compile(r"([,;\t|\r\n]\s*)(?=[=+\-@])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> Any:
    """Every part of a cell a spreadsheet could read as a formula, at its start or after any
    separator, is guarded with an apostrophe: shown as text, never run."""
    if not isinstance(value, str):
        return value
    guarded = _SPLIT_THEN_FORMULA.sub(r"\1'", value)
    return "'" + guarded if guarded.startswith(_FORMULA_START) else guarded
