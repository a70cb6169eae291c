"""Erasure, the same in every service (ADR 0025): what a service keeps so that an erased person
never comes back (its tombstones and its erasure log), the one handler that applies
`person.erasure_requested` around the service's own `erase`, and the sweep of its parked and
delayed messages. The guard that voids a late message about an erased person is
sanctuary.erasure_guard.

A person is named by keys: their ids (as text) and the keyed hash of their normalised email
(`links.address_hash`). Ids are never reused, so a message naming an erased id is void for
ever. An address may come back (the person signs up again, a new consent): a message naming
an erased address is void only if it was accepted before the erasure was asked for.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sanctuary.contracts import ErasureRequested, PersonErased
from sanctuary.links import address_hash
from sanctuary.unit_of_work import Handler, UnitOfWork

log = logging.getLogger(__name__)

# The fields that name the person a message is about, unless its contract says otherwise
# with a class attribute SUBJECT (match.ended names both people, and must still reach the
# one who is not erased).
ID_FIELDS = ("volunteer_id", "newcomer_id", "registration_id", "person_id")
ADDRESS_FIELDS = ("email", "referrer_email")
# Facts of the erasure itself: never voided, never swept.
ERASURE_TYPES = (ErasureRequested.TYPE, PersonErased.TYPE)
ID_KIND, ADDRESS_KIND = "id", "address"
# Where a batch keeps the tombstones it looked up for all its messages at once
# (sanctuary.erasure_guard.prefetch); writing a tombstone drops it.
CHECKED = "erasure.checked"


class TombstoneMixin:
    """One key of an erased person: an id, or the keyed hash of an address. No personal data:
    a tombstone cannot be turned back into the person."""

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # id, address
    # The newest erasure of this key: an address is void in messages accepted up to then.
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erasure_id: Mapped[str] = mapped_column(String(36))


class ErasureLogMixin:
    """Each erasure this service applied: when, and how many records of each kind. Hashes and
    times only, so it survives the erasure and proves it (and `erasures reapply` after a
    restore from backup reads it)."""

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...

    erasure_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(64))
    ids: Mapped[list[str]] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    kept: Mapped[dict[str, str]] = mapped_column(JSON)
    # None while the service still has work before it announces (notifications' confirmation
    # email); the time `person.erased` went to the outbox.
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Keys:
    """Who a message or a request names: ids (as text) and address hashes."""

    ids: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.ids or self.addresses)

    def __or__(self, other: Keys) -> Keys:
        return Keys(self.ids | other.ids, self.addresses | other.addresses)


def keys_of_request(request: ErasureRequested) -> Keys:
    """The keys an erasure request names."""
    ids = {*request.volunteer_ids, *request.newcomer_ids, *request.registration_ids, *request.ids}
    return Keys(
        frozenset(str(i) for i in ids),
        frozenset([request.subject] if request.subject else []),
    )


def keys_of_message(message: Any, secret: str) -> Keys:
    """The keys of the person `message` is about (its contract's SUBJECT fields, else the
    usual id and address fields)."""
    names = getattr(message, "SUBJECT", None)
    if names is None:
        names = [f.name for f in fields(message) if f.name in ID_FIELDS + ADDRESS_FIELDS]
    ids: set[str] = set()
    addresses: set[str] = set()
    for name in names:
        value = getattr(message, name)
        if not value:
            continue
        if name in ADDRESS_FIELDS:
            addresses.add(address_hash(secret, str(value)))
        else:
            ids.update(map(str, value) if isinstance(value, tuple) else [str(value)])
    return Keys(frozenset(ids), frozenset(addresses))


@dataclass(frozen=True)
class Erased:
    """What a service's `erase` did: records erased or anonymised, by kind; what it keeps, with
    the legal reason; more ids it found for the person (tombstoned too); and whether the
    service announces now (False: it announces itself later, with `announce`)."""

    counts: dict[str, int] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    ids: frozenset[str] = frozenset()
    announce_now: bool = True


Eraser = Callable[[ErasureRequested, Keys, UnitOfWork], Erased]
# Sweeps the service's parked and delayed messages naming these keys; returns how many.
Sweeper = Callable[[Keys], int]


def handler(
    service: str,
    erase: Eraser,
    tombstones: type[TombstoneMixin],
    erasure_log: type[ErasureLogMixin],
    sweep: Sweeper | None,
) -> Handler:
    """The handler of person.erasure_requested: the service's `erase`, then its tombstones,
    its queues swept, its log row and (unless it announces later) person.erased, all before
    the one commit. A crash before the commit leaves nothing done and the message comes back;
    the sweep it may have done is done again, harmlessly."""

    def on_erasure_requested(request: ErasureRequested, uow: UnitOfWork) -> None:
        if uow.session.get(erasure_log, str(request.erasure_id)) is not None:
            return  # applied already (the same request under another message id)
        keys = keys_of_request(request)
        erased = erase(request, keys, uow)
        keys = keys | Keys(erased.ids)
        bury(uow.session, tombstones, keys, request)
        counts = dict(erased.counts)
        if sweep is not None:
            counts["queued_messages"] = sweep(keys)
        now = datetime.now(UTC)
        row = erasure_log(
            erasure_id=str(request.erasure_id),
            subject=request.subject,
            ids=sorted(keys.ids),
            requested_at=request.requested_at,
            erased_at=now,
            counts=counts,
            kept=dict(erased.kept),
            announced_at=None,
        )
        uow.session.add(row)
        if erased.announce_now:
            announce(uow, service, row)

    return on_erasure_requested


# Why an erasure is announced again: its reason, for whoever records it.
REAPPLIED = "announced again after a restore from backup"
# What announces a service's erasures since a time again: its own log, read.
ErasureLogReader = Callable[[Session, datetime], list[ErasureRequested]]


def again(
    erasure_id: str | uuid.UUID, subject: str | None, ids: Iterable[str], requested_at: datetime
) -> ErasureRequested:
    """An erasure of a log, to announce again: the same id, keys and time, no email."""
    return ErasureRequested(
        erasure_id=uuid.UUID(str(erasure_id)),
        subject=subject,
        ids=tuple(uuid.UUID(i) for i in sorted(ids)),
        requested_at=aware(requested_at),
        confirm=False,
        reason=REAPPLIED,
    )


def log_reader(erasure_log: type[ErasureLogMixin]) -> ErasureLogReader:
    """A holder's erasures applied since a time, from its erasure log."""

    def since(session: Session, moment: datetime) -> list[ErasureRequested]:
        rows = session.scalars(
            select(erasure_log)
            .where(erasure_log.erased_at >= moment)
            .order_by(erasure_log.erased_at)
        )
        return [again(r.erasure_id, r.subject, r.ids, r.requested_at) for r in rows]

    return since


def bury(
    session: Session, tombstones: type[TombstoneMixin], keys: Keys, request: ErasureRequested
) -> None:
    """Write (or bring forward) a tombstone for each key."""
    session.info.pop(CHECKED, None)  # a batch's prefetched answers no longer hold
    wanted = [(k, ID_KIND) for k in keys.ids] + [(k, ADDRESS_KIND) for k in keys.addresses]
    for key, kind in wanted:
        stone = session.get(tombstones, key)
        if stone is None:
            session.add(
                tombstones(
                    key=key,
                    kind=kind,
                    requested_at=request.requested_at,
                    erasure_id=str(request.erasure_id),
                )
            )
        elif aware(stone.requested_at) < request.requested_at:
            stone.requested_at = request.requested_at
            stone.erasure_id = str(request.erasure_id)


def announce(uow: UnitOfWork, service: str, row: ErasureLogMixin, **more: int) -> None:
    """Publish person.erased for a logged erasure (with any counts learnt since) and mark it."""
    row.counts = {**row.counts, **more}
    row.announced_at = datetime.now(UTC)
    uow.publish(
        PersonErased(
            erasure_id=uuid.UUID(row.erasure_id),
            service=service,
            counts=row.counts,
            kept=row.kept,
            erased_at=aware(row.erased_at),
        )
    )


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
