"""A person's rights over what the events service holds (ADR 0025): their registrations
anonymised when they are erased, and every row about them when they ask to see it.

A person is named by their ids (registration, volunteer, newcomer) and by the keyed hash of
their address: a registration is theirs if it carries one of those ids, or if its address
hashes to it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sanctuary import erasure, erasure_records
from sanctuary.contracts import ErasureRequested
from sanctuary.links import address_hash
from sanctuary.messaging_models import OutboxMixin
from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from events.adapters.models import Event, Outbox, Registration, ReminderSent
from events.service_layer import registrations

ID_KINDS = ("volunteer_ids", "newcomer_ids", "registration_ids")


def erase(
    request: ErasureRequested, keys: erasure.Keys, uow: UnitOfWork, *, secret: str
) -> erasure.Erased:
    """Give up the person's open places (the first waiting move up, as after any cancellation,
    but nothing about the person is announced), then blank their name and address on every
    registration of theirs. The rows stay, with ids, status and times, for anonymous counts;
    the reminders sent hold ids only and stay too. Their outbox rows go."""
    session = uow.session
    found = held_by(session, keys, secret)
    freed = registrations.withdraw(uow, found)
    for registration in found:
        # Every one of them is cancelled or rejected now: outside the one-open-place-per-
        # address index, so many blank addresses at one event cannot clash.
        registration.name, registration.email = "", ""
    purged = erasure_records.purge_outbox(session, Outbox, keys, secret)
    return erasure.Erased(
        counts={"registrations": len(found), "places_freed": freed, "outbox_messages": purged},
        ids=frozenset(i for kind in ids_of(found).values() for i in kind),
    )


def held_by(session: Session, keys: erasure.Keys, secret: str) -> list[Registration]:
    """Every registration of the person: by id or by address, then by the volunteer or
    newcomer ids those carry (the same person registering with another address)."""
    found = {r.id: r for r in _by_ids(session, _uuids(keys.ids))}
    if keys.addresses:
        for row_id, email in session.execute(select(Registration.id, Registration.email)):
            if row_id not in found and email and address_hash(secret, email) in keys.addresses:
                found[row_id] = _get(session, row_id)
    people = {i for r in found.values() for i in (r.volunteer_id, r.newcomer_id) if i}
    for registration in _by_ids(session, people):
        found.setdefault(registration.id, registration)
    return sorted(found.values(), key=lambda r: (r.queued_at, r.id))


def _get(session: Session, registration_id: uuid.UUID) -> Registration:
    registration = session.get(Registration, registration_id)
    assert registration is not None
    return registration


def _by_ids(session: Session, ids: set[uuid.UUID]) -> list[Registration]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(Registration).where(
                or_(
                    Registration.id.in_(ids),
                    Registration.volunteer_id.in_(ids),
                    Registration.newcomer_id.in_(ids),
                )
            )
        )
    )


def _uuids(values: Iterable[str]) -> set[uuid.UUID]:
    found = set()
    for value in values:
        try:
            found.add(uuid.UUID(value))
        except ValueError:
            continue  # not an id this service could hold
    return found


def ids_of(found: Iterable[Registration]) -> dict[str, list[str]]:
    """The person's ids these registrations carry, by kind."""
    rows = list(found)
    return {
        "volunteer_ids": sorted({str(r.volunteer_id) for r in rows if r.volunteer_id}),
        "newcomer_ids": sorted({str(r.newcomer_id) for r in rows if r.newcomer_id}),
        "registration_ids": sorted({str(r.id) for r in rows}),
    }


def export(
    session: Session, secret: str, email: str | None, ids: dict[str, Iterable[Any]]
) -> dict[str, Any]:
    """Everything held about the person, as plain JSON (a subject-access answer): their
    registrations, each with its event's title, kind and start (never another registrant),
    the reminders sent to them, and the outbox rows about them."""
    given = {str(i) for kind in ID_KINDS for i in ids.get(kind, ())}
    addresses = frozenset([address_hash(secret, email)] if email else [])
    keys = erasure.Keys(frozenset(given), addresses)
    found = held_by(session, keys, secret)
    keys = keys | erasure.Keys(frozenset(str(r.id) for r in found))
    reminders = session.scalars(
        select(ReminderSent)
        .where(ReminderSent.registration_id.in_([r.id for r in found]))
        .order_by(ReminderSent.sent_at)
    )
    outbox = erasure_records.outbox_about(session, Outbox, keys, secret)
    return {
        "records": {
            "registrations": [_registration(session, r) for r in found],
            "reminders_sent": [erasure_records.exported_row(r) for r in reminders],
            "outbox": [_outbox_row(row) for row in outbox],
        },
        "ids": ids_of(found),
        "group_ids": sorted({str(r.group_id) for r in found if r.group_id}),
    }


def _registration(session: Session, registration: Registration) -> dict[str, Any]:
    row = erasure_records.exported_row(registration)
    event = session.get(Event, registration.event_id)
    if event is not None:
        row["event"] = erasure_records.exported_row(event, ("title", "kind", "starts_at"))
    return row


def _outbox_row(row: OutboxMixin) -> dict[str, Any]:
    return {
        "type": row.type,
        "created_at": erasure.aware(row.created_at).isoformat(),
        "sent": row.sent_at is not None,
        "body": json.loads(row.body),
    }
