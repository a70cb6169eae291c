"""What coordinators do to events once scheduled: change, cancel, mark attendance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary import contracts as c
from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import EventKind, EventMeasure, EventStatus, RegistrationStatus
from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.orm import Session

from events import domain
from events.adapters.models import Event, Registration
from events.service_layer import impact, registrations

# The groups a caller acts for (the gateway's X-Groups): a coordinator's; None: every group, a
# network admin's call.
Groups = frozenset[uuid.UUID] | None


class NationalEvent(PermissionError):
    """Only network admins schedule or change a national event (one of no group)."""


class UnknownGroup(LookupError):
    """A coordinator named a group that is not theirs: as if there were no such group."""


class CapacityBelowConfirmed(Exception):
    """Lowering the capacity below the places already given is refused."""


class InvalidChange(ValueError):
    """The change would leave the event inconsistent."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class NotAttendable(ValueError):
    """Some registrations named are not confirmed places at this event."""

    field = "registration_ids"

    def __init__(self, ids: list[str]) -> None:
        super().__init__("not confirmed at this event: " + ", ".join(ids))
        self.ids = ids


def _visible(event: Event | None, groups: Groups) -> Event | None:
    """The event if a caller of `groups` may see it: any without groups; else one of their
    groups' or a national one, which every group's people may come to."""
    if event is None or groups is None or event.group_id is None or event.group_id in groups:
        return event
    return None


def _locked(session: Session, event_id: uuid.UUID, groups: Groups = None) -> Event:
    """The event, locked; NotFound if there is none or it is another group's (the same
    answer: a coordinator learns nothing of other groups' events)."""
    event = _visible(session.get(Event, event_id, with_for_update=True), groups)
    if event is None:
        raise registrations.NotFound(f"no event {event_id}")
    return event


def _changeable(session: Session, event_id: uuid.UUID, groups: Groups) -> Event:
    """The event, locked, if this caller may change it: a coordinator changes their groups'
    events; a national one only a network admin (seen, so refused rather than not found)."""
    event = _locked(session, event_id, groups)
    if groups is not None and event.group_id is None:
        raise NationalEvent("National events are changed by network admins.")
    return event


def _sees_everyone(event: Event, groups: Groups) -> bool:
    """Whether a caller of `groups` sees every registrant of `event`: without groups, or at
    their own group's event (whoever comes to it). At a national event, a coordinator sees
    their groups' people only."""
    return groups is None or event.group_id in groups


def _of_registrants(event: Event, groups: Groups) -> ColumnElement[bool]:
    """The registrations of `event` a caller of `groups` sees (`_sees_everyone`)."""
    return true() if _sees_everyone(event, groups) else Registration.group_id.in_(groups or ())


def update_event(
    uow: UnitOfWork, event_id: uuid.UUID, changes: dict[str, Any], groups: Groups = None
) -> Event:
    """Change time, place, capacity or text; a raised capacity promotes people at once."""
    session = uow.session
    event = _changeable(session, event_id, groups)
    if event.status == EventStatus.CANCELLED:
        raise domain.EventCancelled("a cancelled event cannot be changed")
    if "capacity" in changes and changes["capacity"] < event.confirmed:
        raise CapacityBelowConfirmed(
            f"{event.confirmed} people already have a place; the capacity cannot go below that"
        )
    starts = as_utc(changes.get("starts_at", event.starts_at))
    if as_utc(changes.get("ends_at", event.ends_at)) <= starts:
        raise InvalidChange("ends_at", "The event must end after it starts.")
    if event.kind == EventKind.WEBINAR and "online_url" in changes and not changes["online_url"]:
        raise InvalidChange("online_url", "A webinar needs its https link.")
    if event.kind != EventKind.WEBINAR and "location" in changes and not changes["location"]:
        raise InvalidChange("location", "Say where it takes place.")
    changed = sorted(k for k, v in changes.items() if _stored(getattr(event, k)) != v)
    if not changed:
        return event
    recount = bool(impact.HELD_BY & set(changed))  # its day or places: counted anew
    if recount:
        impact.held(session, event, -1)
    for key in changed:
        setattr(event, key, changes[key])
    if recount:
        impact.held(session, event, +1)
    event.sequence += 1
    session.flush()
    registrations.promote(uow, event)
    uow.publish(c.EventUpdated(**details(event), changed=tuple(changed)))
    return event


def cancel_event(uow: UnitOfWork, event_id: uuid.UUID, groups: Groups = None) -> Event:
    """Cancel the event and every open registration; one event.cancelled tells them all."""
    session = uow.session
    event = _changeable(session, event_id, groups)
    if event.status == EventStatus.CANCELLED:
        return event
    event.status, event.sequence = EventStatus.CANCELLED, event.sequence + 1
    impact.held(session, event, -1)
    event.confirmed = 0  # every place is given up below
    session.execute(
        update(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status.in_(domain.OPEN),
        )
        .values(status=RegistrationStatus.CANCELLED, decided_at=datetime.now(UTC))
    )
    uow.publish(
        c.EventCancelled(
            event_id=event.id, title=event.title, starts_at=event.starts_at, sequence=event.sequence
        )
    )
    return event


def record_attendance(
    uow: UnitOfWork, event_id: uuid.UUID, ids: list[uuid.UUID], groups: Groups = None
) -> int:
    """Mark who came; at a training event, each attendance is a training.completed fact. At a
    national event a coordinator marks their groups' people only: another group's are as
    unknown ids."""
    session = uow.session
    event = _locked(session, event_id, groups)
    found = {
        r.id: r
        for r in session.scalars(
            select(Registration).where(
                Registration.id.in_(ids),
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                _of_registrants(event, groups),
            )
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotAttendable(missing)
    now, marked = datetime.now(UTC), 0
    for registration in found.values():
        if registration.attended_at is not None:
            continue  # marked before: nothing new to announce
        registration.attended_at = now
        marked += 1
        came = EventMeasure.ATTENDED  # on the event's day, beside the places taken
        impact.tally(session, registration, event, came, as_utc(event.starts_at))
        if event.kind == EventKind.TRAINING:
            uow.publish(
                c.TrainingCompleted(
                    event_id=event.id,
                    registration_id=registration.id,
                    topic=event.topic,
                    completed_at=now,
                    volunteer_id=registration.volunteer_id,
                    email=registration.email,
                )
            )
    return marked


def registrations_of(
    session: Session, event_id: uuid.UUID, groups: Groups = None
) -> list[dict[str, Any]]:
    """The registrations of an event, for its coordinator: places first, then the queue. At
    a national event a coordinator sees their groups' people only, each at their place in the
    whole queue; at their own group's event, everyone who comes."""
    event = _visible(session.get(Event, event_id), groups)
    if event is None:
        raise registrations.NotFound(f"no event {event_id}")
    order = {
        RegistrationStatus.CONFIRMED: 0,
        RegistrationStatus.WAITLISTED: 1,
        RegistrationStatus.CANCELLED: 2,
        RegistrationStatus.REJECTED: 3,
    }
    rows = session.scalars(
        select(Registration)
        .where(Registration.event_id == event_id)
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    position = 0
    listed = []
    for r in sorted(rows, key=lambda r: order.get(r.status, 9)):
        position = position + 1 if r.status == RegistrationStatus.WAITLISTED else position
        if not _sees_everyone(event, groups) and r.group_id not in (groups or ()):
            continue
        listed.append(
            {
                "id": str(r.id),
                "name": r.name,
                "email": r.email,
                "status": r.status,
                "waitlist_position": position
                if r.status == RegistrationStatus.WAITLISTED
                else None,
                "attended": r.attended_at is not None,
                "volunteer_id": r.volunteer_id and str(r.volunteer_id),
                "group_id": r.group_id and str(r.group_id),
            }
        )
    return listed


def _stored(value: Any) -> Any:
    # SQLite hands times back without their zone; compare them as the UTC they were stored as.
    return as_utc(value) if isinstance(value, datetime) else value


def details(event: Event) -> dict[str, Any]:
    """The event as the event.scheduled and event.updated facts carry it."""
    return {
        "event_id": event.id,
        "title": event.title,
        "titles": {locale: text["title"] for locale, text in (event.translations or {}).items()},
        "kind": event.kind,
        "starts_at": as_utc(event.starts_at),
        "ends_at": as_utc(event.ends_at),
        "timezone": event.timezone,
        "sequence": event.sequence,
        "online_url": event.online_url,
        "location": event.location,
        "group_id": event.group_id,
    }


def schedule(uow: UnitOfWork, data: dict[str, Any], groups: Groups = None) -> Event:
    """A new published event, announced as event.scheduled. A coordinator schedules for their
    groups only; a national event only a network admin."""
    if groups is not None and data["group_id"] is None:
        raise NationalEvent("National events are scheduled by network admins.")
    if groups is not None and data["group_id"] not in groups:
        raise UnknownGroup("No such group.")
    event = Event(
        id=uuid.uuid4(),
        status=EventStatus.PUBLISHED,
        confirmed=0,
        sequence=0,
        created_at=datetime.now(UTC),
        **data,
    )
    uow.session.add(event)
    impact.held(uow.session, event, +1)
    uow.publish(c.EventScheduled(**details(event)))
    return event
