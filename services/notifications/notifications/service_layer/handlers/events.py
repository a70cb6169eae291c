"""Events and registrations: a copy of each event, its registrants, and their emails."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary.contracts import (
    EventCancelled,
    EventReminderDue,
    EventScheduled,
    EventUpdated,
    RegistrationChanged,
    RegistrationRejected,
)
from sanctuary.db import as_utc
from sanctuary.unit_of_work import Handler, UnitOfWork
from sanctuary.vocabulary import DEFAULT_LOCALE, RegistrationStatus, RejectionReason
from sqlalchemy import select

from notifications import domain
from notifications.adapters.models import EventCopy, Registrant
from notifications.service_layer.handlers.planning import keep_newest, plan


def on_event_scheduled(event: EventScheduled, uow: UnitOfWork) -> None:
    """Keep the event's details (and any later change) for the emails about it."""
    fields = {
        "title": event.title,
        "titles": dict(event.titles),
        "kind": event.kind,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "online_url": event.online_url,
        "location": event.location,
        "sequence": event.sequence,
        "group_id": event.group_id,
    }
    keep_newest(uow, EventCopy, event.event_id, fields)


def _event(copy: EventCopy) -> dict[str, Any]:
    """An event as the email templates and invites take it."""
    return {
        "event_id": str(copy.id),
        "title": copy.title,
        "titles": copy.titles or {},
        "starts_at": as_utc(copy.starts_at).isoformat(),
        "ends_at": as_utc(copy.ends_at).isoformat(),
        "timezone": copy.timezone,
        "online_url": copy.online_url,
        "location": copy.location,
        "sequence": copy.sequence,
    }


def _remember(uow: UnitOfWork, fact: RegistrationChanged, status: str) -> Registrant:
    """Keep the registrant's status, and their language from the first fact that says it."""
    registrant: Registrant | None = uow.session.get(Registrant, fact.registration_id)
    if registrant is None:
        registrant = Registrant(
            registration_id=fact.registration_id,
            event_id=fact.event_id,
            name=fact.name,
            email=fact.email,
            status=status,
            locale=fact.locale or DEFAULT_LOCALE,
            group_id=fact.group_id,
        )
        uow.session.add(registrant)
    else:
        registrant.status = status
        registrant.locale = fact.locale or registrant.locale
        registrant.group_id = fact.group_id or registrant.group_id
    return registrant


def _kept(uow: UnitOfWork, registration_id: uuid.UUID) -> tuple[str, uuid.UUID | None]:
    """The registrant's language and group as kept; English and None if not kept."""
    registrant = uow.session.get(Registrant, registration_id)
    if registrant is None:
        return DEFAULT_LOCALE, None
    return registrant.locale, registrant.group_id


def _registrants(
    uow: UnitOfWork, event_id: uuid.UUID, statuses: tuple[str, ...]
) -> list[Registrant]:
    return list(
        uow.session.scalars(
            select(Registrant).where(
                Registrant.event_id == event_id, Registrant.status.in_(statuses)
            )
        )
    )


# Changes registrants are not written about: the text in another language.
QUIET = frozenset({"translations"})


def on_event_updated(event: EventUpdated, uow: UnitOfWork) -> None:
    """Keep the new details, and send everyone with a place the change and a new invite."""
    on_event_scheduled(event, uow)
    copy = uow.session.get(EventCopy, event.event_id)
    assert copy is not None
    if copy.sequence != event.sequence:
        return  # a newer change already arrived and was announced
    if set(event.changed) <= QUIET:
        return  # nothing an invite or a registrant's plans depend on
    now = datetime.now(UTC)
    for r in _registrants(uow, event.event_id, (RegistrationStatus.CONFIRMED,)):
        _tell(uow, r, "event_updated", "REQUEST", copy, now)


def _tell(
    uow: UnitOfWork,
    registrant: Registrant,
    template: str,
    method: str | None,
    copy: EventCopy,
    now: datetime,
) -> None:
    """Plan one registrant's email about the event, in their language."""
    plan(
        uow,
        domain.event_email(
            template,
            method,
            registrant.registration_id,
            registrant.name,
            registrant.email,
            _event(copy),
            now,
            locale=registrant.locale,
            group_id=registrant.group_id,
        ),
    )


def on_event_cancelled(event: EventCancelled, uow: UnitOfWork) -> None:
    """Tell everyone with a place or waiting; confirmed people get the invite withdrawn."""
    copy = uow.session.get(EventCopy, event.event_id)
    if copy is None:
        raise EventNotYetKnown(str(event.event_id))
    copy.sequence = max(copy.sequence, event.sequence)
    now = datetime.now(UTC)
    for r in _registrants(
        uow, event.event_id, (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    ):
        _tell(
            uow,
            r,
            "event_cancelled",
            "CANCEL" if r.status == RegistrationStatus.CONFIRMED else None,
            copy,
            now,
        )
        r.status = RegistrationStatus.CANCELLED


def on_reminder_due(reminder: EventReminderDue, uow: UnitOfWork) -> None:
    """A day or an hour before: when, where, and the link for an online event."""
    copy = uow.session.get(EventCopy, reminder.event_id)
    if copy is None:
        raise EventNotYetKnown(str(reminder.event_id))
    details = {**_event(copy), "starts_at": (reminder.starts_at or copy.starts_at).isoformat()}
    locale, group_id = _kept(uow, reminder.registration_id)
    plan(
        uow,
        domain.event_email(
            "event_reminder",
            None,
            reminder.registration_id,
            reminder.name,
            reminder.email,
            details,
            datetime.now(UTC),
            key=f"{reminder.reminder}:{details['starts_at']}",
            locale=reminder.locale or locale,
            group_id=reminder.group_id or group_id,
        ),
    )


def on_registration_rejected(fact: RegistrationRejected, uow: UnitOfWork) -> None:
    """A request for a place by an address that already holds one (ADR 31): whoever asked
    was answered as if it were new, so the address's owner is told instead, at most once a
    day for each place, under the name and in the language they gave. Other rejections are
    about the event, and the status page says them."""
    existing = fact.existing_registration_id
    if fact.reason != RejectionReason.ALREADY_REGISTERED or existing is None:
        return
    copy = uow.session.get(EventCopy, fact.event_id)
    held = uow.session.get(Registrant, existing)
    if copy is None or held is None:
        raise EventNotYetKnown(str(fact.event_id))  # the place's own fact is on its way
    now = datetime.now(UTC)
    plan(
        uow,
        domain.event_email(
            "registration_duplicate",
            None,
            existing,
            held.name,  # never the name the new request typed: it could be anything
            held.email,
            _event(copy),
            now,
            key=now.date().isoformat(),
            locale=held.locale,
            group_id=held.group_id,
        ),
    )


class EventNotYetKnown(Exception):
    """A registration fact came before its event's details: retried until they land."""


def on_registration_changed(message_type: str) -> Handler:
    """The handler of one registration fact: plan the email it calls for."""

    def handle(fact: RegistrationChanged, uow: UnitOfWork) -> None:
        copy = uow.session.get(EventCopy, fact.event_id)
        if copy is None:
            raise EventNotYetKnown(str(fact.event_id))  # transient: the delay queues defer it
        registrant = _remember(uow, fact, domain.REGISTRANT_STATUS[message_type])
        plan(
            uow,
            domain.registration_email(
                message_type,
                fact,
                _event(copy),
                datetime.now(UTC),
                position=getattr(fact, "position", None),
                locale=registrant.locale,
            ),
        )

    return handle
