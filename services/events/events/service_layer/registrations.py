"""Deciding registrations: places, the waiting list, cancellations and promotions.

Every decision about an event happens under a lock on its row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), so however many workers decide at
once, the confirmed count never passes the capacity. The row carries that count
(`Event.confirmed`), changed only by `_set_status` here and by cancelling the event
(scheduling), in the transaction that changes the places: no decision counts rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sanctuary import contracts as c
from sanctuary.db import as_utc
from sanctuary.links import is_cancel_token
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import EventMeasure, RegistrationStatus
from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, object_session

from events import domain
from events.adapters.models import Event, Registration
from events.service_layer import held, impact


class NotFound(LookupError):
    """No such registration or event."""


class WrongToken(PermissionError):
    """The cancel link's token does not belong to this registration."""


def _locked_event(session: Session, event_id: uuid.UUID) -> Event | None:
    return held.lock(session, event_id)


def confirmed_count(session: Session, event_id: uuid.UUID) -> int:
    """How many people hold a place at the event, counted: what `Event.confirmed` must equal
    (the tests check it; the decisions read the counter)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        or 0
    )


def _set_status(event: Event, registration: Registration, status: str, now: datetime) -> None:
    """Change a registration's status, keeping the event's count of places with it (and
    letting its queue be counted again)."""
    was = registration.status == RegistrationStatus.CONFIRMED
    registration.status, registration.decided_at = status, now
    change = (status == RegistrationStatus.CONFIRMED) - was
    event.confirmed += change
    session = object_session(event)
    if session is not None:
        held.queue_changed(session, event.id)
        if change:
            impact.taken(session, registration, event, change)


def _fact(kind: type, registration: Registration, **extra: Any) -> Any:
    return kind(
        registration_id=registration.id,
        event_id=registration.event_id,
        name=registration.name,
        email=registration.email,
        group_id=registration.group_id,
        **extra,
    )


def decide(uow: UnitOfWork, request: c.RegistrationRequested) -> None:
    """Confirm, waitlist or reject one registration request, and announce it."""
    session = uow.session
    event = _locked_event(session, request.event_id)
    email = request.email.lower()
    found, existing = _known(session, request.registration_id, event and event.id, email)
    if found:
        return  # the same request under another message id
    now = datetime.now(UTC)  # read under the lock: the queue's order is the order of decisions
    decision = domain.decide(None if event is None else _state(session, event), existing, now)
    registration = Registration(
        id=request.registration_id,
        event_id=request.event_id,
        name=request.name,
        email=email,
        volunteer_id=request.volunteer_id,
        newcomer_id=request.newcomer_id,
        status=decision.status,
        reason=decision.reason,
        existing_registration_id=decision.existing_registration_id,
        shown_as=decision.shown_as,
        queued_at=now,
        decided_at=now,
        group_id=group_of(request, event),
    )
    if event is not None and decision.status == RegistrationStatus.CONFIRMED:
        event.confirmed += 1
        impact.taken(session, registration, event, 1)
    position = None
    if event is not None:
        impact.tally(session, registration, event, decision.status, now)
    if event is not None and RegistrationStatus.WAITLISTED in (decision.status, decision.shown_as):
        # The newest in the queue, at its end: counted before it is added.
        position = held.join_queue(session, event.id, lambda: _in_queue(session, event.id))
    session.add(registration)
    uow.publish(_answer(registration, decision, request.locale, position))


def group_of(request: c.RegistrationRequested, event: Event | None) -> uuid.UUID | None:
    """The registration's group: the one the request names (the person's own, by choice or
    postcode), else the event's; None for a national event's registrant with no group."""
    if request.group_id is not None:
        return request.group_id
    return None if event is None else event.group_id


def _state(session: Session, event: Event) -> domain.EventState:
    """What the decision needs to know of the (locked) event."""
    closes_at = event.registration_closes_at
    return domain.EventState(
        status=event.status,
        capacity=event.capacity,
        confirmed=event.confirmed,
        registration_closes_at=closes_at and as_utc(closes_at),
    )


def _known(
    session: Session, registration_id: uuid.UUID, event_id: uuid.UUID | None, email: str
) -> tuple[bool, uuid.UUID | None]:
    """In one query: whether this request is decided already (under another message id), and
    the registration this email holds at the event (a place or a queue position), if any.
    The decisions of this transaction not yet written (a batch's) are looked at in memory:
    nothing is written for the query, so a batch writes its rows together at its commit."""
    pending = [r for r in session.new if isinstance(r, Registration)]
    if any(r.id == registration_id for r in pending):
        return True, None
    for r in pending:
        if r.event_id == event_id and r.email == email and r.status in domain.OPEN:
            return False, r.id
    holds = Registration.id == registration_id
    if event_id is not None:
        holds = or_(
            holds,
            and_(
                Registration.event_id == event_id,
                Registration.email == email,
                Registration.status.in_(domain.OPEN),
            ),
        )
    with session.no_autoflush:
        rows = set(session.scalars(select(Registration.id).where(holds)))
    return registration_id in rows, next(iter(sorted(rows - {registration_id})), None)


def _in_queue(session: Session, event_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.event_id == event_id, IN_QUEUE)
        )
        or 0
    )


def _answer(
    registration: Registration, decision: domain.Decision, locale: str | None, position: int | None
) -> Any:
    """The fact that announces a decision. It carries the person's language; notifications
    keeps it for later emails."""
    if decision.status == RegistrationStatus.CONFIRMED:
        return _fact(c.RegistrationConfirmed, registration, locale=locale)
    if decision.status == RegistrationStatus.WAITLISTED:
        return _fact(c.RegistrationWaitlisted, registration, locale=locale, position=position)
    return _fact(
        c.RegistrationRejected,
        registration,
        locale=locale,
        reason=decision.reason,
        existing_registration_id=decision.existing_registration_id,
    )


# The waiting list as people see it: those waiting, and the duplicates shown as waiting
# (ADR 31), which move up with it so that no position gives a duplicate away.
IN_QUEUE = or_(
    Registration.status == RegistrationStatus.WAITLISTED,
    Registration.shown_as == RegistrationStatus.WAITLISTED,
)


def waitlist_position(session: Session, registration: Registration) -> int | None:
    """1 for the first in the queue; None for anyone not in it."""
    if RegistrationStatus.WAITLISTED not in (registration.status, registration.shown_as):
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            IN_QUEUE,
            tuple_(Registration.queued_at, Registration.id)
            < tuple_(registration.queued_at, registration.id),
        )
    )
    return int(ahead or 0) + 1


def promote(uow: UnitOfWork, event: Event) -> int:
    """Give every free place to the first people waiting; returns how many moved up."""
    session = uow.session
    free = domain.free_places(event.capacity, event.confirmed)
    if free == 0:
        return 0
    held.queue_changed(session, event.id)  # duplicates move up too, with no status change
    promoted = 0
    queue = select(Registration).where(Registration.event_id == event.id, IN_QUEUE)
    for registration in session.scalars(queue.order_by(Registration.queued_at, Registration.id)):
        if promoted == free:
            break
        if registration.status == RegistrationStatus.REJECTED:  # a duplicate: it moves up,
            registration.shown_as = RegistrationStatus.CONFIRMED  # taking no place
            continue
        _set_status(event, registration, RegistrationStatus.CONFIRMED, datetime.now(UTC))
        impact.tally(session, registration, event, EventMeasure.PROMOTED, registration.decided_at)
        uow.publish(_fact(c.RegistrationPromoted, registration))
        promoted += 1
    return promoted


def cancel(uow: UnitOfWork, registration_id: uuid.UUID, token: str, secret: str) -> Registration:
    """Cancel through the email's secret link; a freed place goes to the first waiting."""
    session = uow.session
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(f"no registration {registration_id}")
    if not is_cancel_token(secret, registration_id, token):
        raise WrongToken("This cancel link is not valid for this registration.")
    event = _locked_event(session, registration.event_id)
    assert event is not None
    session.refresh(registration)  # read again under the event's lock
    if registration.status not in domain.OPEN:
        return registration  # cancelling twice changes nothing
    _set_status(event, registration, RegistrationStatus.CANCELLED, datetime.now(UTC))
    cancelled = EventMeasure.CANCELLED_BY_THEM
    impact.tally(session, registration, event, cancelled, registration.decided_at)
    uow.publish(_fact(c.RegistrationCancelled, registration))
    session.flush()
    promote(uow, event)
    return registration


def withdraw(uow: UnitOfWork, held: Iterable[Registration]) -> int:
    """Cancel an erased person's open registrations without announcing it (nothing about them
    goes out); each freed place goes to the first person waiting, as after any cancellation,
    at events yet to start. Returns how many places were freed there."""
    session = uow.session
    by_event: dict[uuid.UUID, list[Registration]] = {}
    for registration in held:
        by_event.setdefault(registration.event_id, []).append(registration)
    now, freed = datetime.now(UTC), 0
    for event_id in sorted(by_event):  # always the same order of locks
        event = _locked_event(session, event_id)
        if event is None:
            continue  # no event: its registrations were all rejected
        upcoming = as_utc(event.starts_at) > now
        for registration in by_event[event_id]:
            session.refresh(registration)  # read again under the event's lock
            if registration.status not in domain.OPEN:
                continue
            if upcoming and registration.status == RegistrationStatus.CONFIRMED:
                freed += 1
            _set_status(event, registration, RegistrationStatus.CANCELLED, now)
            impact.tally(session, registration, event, EventMeasure.WITHDRAWN, now)
        session.flush()
        if upcoming:
            promote(uow, event)  # a place at an event that has begun is no use to anyone
    return freed
