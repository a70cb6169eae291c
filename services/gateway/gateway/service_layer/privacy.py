"""People's rights over their data (ADR 0025): gather what every service holds about a person,
ask for their erasure everywhere, follow its completion matrix, record a subject access."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sanctuary import contracts
from sanctuary.contracts import ErasureRequested
from sanctuary.erasure import Keys, aware
from sanctuary.erasure_records import outbox_about, purge_outbox
from sanctuary.links import address_hash
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import ErasureStatus, PrivacyRight
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.adapters.models import ErasureProgress, Outbox, PrivacyRequest
from gateway.service_layer import concerns, data_links

# The services that hold people and answer a subject read, and the four that answer an erasure.
HOLDERS = ("matching", "events", "notifications")
SERVICES = ("gateway", *HOLDERS)
ID_KINDS = ("volunteer_ids", "newcomer_ids", "registration_ids")
ERASURE, ACCESS = PrivacyRight.ERASURE, PrivacyRight.ACCESS
PENDING, DONE, COMPLETE = ErasureStatus.PENDING, ErasureStatus.DONE, ErasureStatus.COMPLETE
# What the gateway keeps of an erasure, and why.
KEPT = {
    "erasure record": "the keyed hash of the address, the ids and the times, no name or "
    "address: it proves the erasure and stops late messages bringing the data back "
    "(UK GDPR Art. 5(2) and 17)"
}

# A subject read of one service: (service, body) -> its answer.
Ask = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class Person:
    """Everything the services hold about one person, as their subject reads answered, and
    the gateway's own rows about them (outbox, links to their data asked at /my-data)."""

    email: str | None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in ID_KINDS})
    group_ids: set[str] = field(default_factory=set)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether any service holds anything about them."""
        held = any(rows for records in self.records.values() for rows in records.values())
        return held or bool(self.outbox)

    def keys(self, secret: str) -> Keys:
        """Their ids and the keyed hash of their address."""
        ids = frozenset(i for kind in ID_KINDS for i in self.ids[kind])
        return Keys(ids, frozenset([address_hash(secret, self.email)] if self.email else []))

    def may_be_seen_by(self, groups: frozenset[uuid.UUID] | None) -> bool:
        """Whether a caller who may see `groups` (None: every group) may act for them: they
        belong to one of those groups."""
        return in_scope(self.group_ids, groups)


def in_scope(group_ids: Iterable[str], groups: frozenset[uuid.UUID] | None) -> bool:
    """Whether a caller who may see `groups` (None: every group) may see a person or a
    request of these groups: one of them is the caller's."""
    return groups is None or any(uuid.UUID(g) in groups for g in group_ids)


def gather(
    ask: Ask,
    session: Session,
    secret: str,
    email: str | None,
    ids: dict[str, Iterable[str]] | None = None,
) -> Person:
    """Ask every holder what it holds about the person with `email` (or, without one, these
    ids: their address is learnt from matching's answer), and look in the gateway's outbox."""
    given = {kind: sorted({str(i) for i in (ids or {}).get(kind, ())}) for kind in ID_KINDS}
    if email is None and any(given.values()):
        email = _address_from(ask("matching", {"email": None, **given}))
    person = Person(email.strip().lower() if email else None)
    for kind in ID_KINDS:
        person.ids[kind].update(given[kind])
    for row in outbox_about(session, Outbox, person.keys(secret), secret):
        person.outbox.append(_outbox_export(row))
        _add_ids(person, contracts.load(row.type, json.loads(row.body)))
    person.links = data_links.held(session, person.email)
    for service in HOLDERS:
        body = {"email": person.email, **{k: sorted(v) for k, v in person.ids.items()}}
        answer = ask(service, body)
        person.records[service] = answer.get("records", {})
        for kind in ID_KINDS:
            person.ids[kind].update(answer.get("ids", {}).get(kind, ()))
        person.group_ids.update(g for g in answer.get("group_ids", ()) if g)
    return person


def _address_from(answer: dict[str, Any]) -> str | None:
    """The one address matching holds for the people named by id; None if none or several."""
    records = answer.get("records", {})
    found = {
        row["email"].lower()
        for table in ("volunteers", "newcomers")
        for row in records.get(table, ())
        if row.get("email")
    }
    return found.pop() if len(found) == 1 else None


def _add_ids(person: Person, message: Any) -> None:
    for name in ("volunteer_id", "newcomer_id", "registration_id"):
        value = getattr(message, name, None)
        if value is not None:
            person.ids[name + "s"].add(str(value))


def _outbox_export(row: Outbox) -> dict[str, Any]:
    return {
        "type": row.type,
        "created_at": aware(row.created_at).isoformat(),
        "sent": row.sent_at is not None,
        "body": json.loads(row.body),
    }


def export(person: Person) -> dict[str, Any]:
    """A person's subject-access export: service by service, every row held about them."""
    services: dict[str, Any] = {"gateway": {"outbox": person.outbox, "data_links": person.links}}
    services.update(person.records)
    return {"generated_at": datetime.now(UTC).isoformat(), "services": services}


def request_erasure(
    uow: UnitOfWork,
    person: Person,
    secret: str,
    *,
    reason: str,
    requested_by: uuid.UUID | None,
    via: str,
    confirm: bool = True,
) -> PrivacyRequest:
    """Record the erasure, erase the gateway's own rows about the person (outbox, links to
    their data), and ask every service to erase them (one fact, no name, no address)."""
    keys = person.keys(secret)
    request = recorded(uow, ERASURE, person, keys, reason, requested_by, via)
    now = request.requested_at
    purged = purge_outbox(uow.session, Outbox, keys, secret)
    links = data_links.forget(uow.session, person.email)
    kept = concerns.kept_through_erasure(uow.session, keys.ids)
    start_matrix(uow.session, request, {"outbox_messages": purged, "data_links": links}, kept)
    uow.publish(
        ErasureRequested(
            erasure_id=request.id,
            subject=request.subject,
            volunteer_ids=_uuids(person.ids["volunteer_ids"]),
            newcomer_ids=_uuids(person.ids["newcomer_ids"]),
            registration_ids=_uuids(person.ids["registration_ids"]),
            requested_at=now,
            confirm=confirm,
        )
    )
    return request


def recorded(
    uow: UnitOfWork,
    kind: str,
    person: Person,
    keys: Keys,
    reason: str,
    requested_by: uuid.UUID | None,
    via: str,
) -> PrivacyRequest:
    """A privacy request, recorded: the keyed hash and ids, never the address."""
    request = PrivacyRequest(
        id=uuid.uuid4(),
        kind=kind,
        subject=next(iter(keys.addresses), None),
        ids=sorted(keys.ids),
        reason=reason,
        requested_by=requested_by,
        via=via,
        group_ids=sorted(person.group_ids),
        requested_at=datetime.now(UTC),
        completed_at=None,
    )
    uow.session.add(request)
    uow.session.flush()
    return request


def start_matrix(
    session: Session,
    request: PrivacyRequest,
    own: dict[str, int],
    kept: dict[str, str] | None = None,
) -> None:
    """One row per service: the gateway's done (its outbox rows; what it keeps and why,
    safeguarding records included), the others pending."""
    for service in SERVICES:
        gateway = service == "gateway"
        session.add(
            ErasureProgress(
                erasure_id=request.id,
                service=service,
                status=DONE if gateway else PENDING,
                counts=own if gateway else {},
                kept={**KEPT, **(kept or {})} if gateway else {},
                done_at=request.requested_at if gateway else None,
            )
        )


def _uuids(ids: Iterable[str]) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(i) for i in sorted(ids))


def record_access(
    uow: UnitOfWork,
    person: Person,
    secret: str,
    *,
    reason: str,
    requested_by: uuid.UUID | None,
    via: str,
) -> PrivacyRequest:
    """Record that a person's data was exported, by whom and why."""
    request = recorded(uow, ACCESS, person, person.keys(secret), reason, requested_by, via)
    request.completed_at = request.requested_at
    return request


def pending(session: Session) -> tuple[int, float]:
    """How many erasures are not yet complete, and the age in seconds of the oldest (0 when
    none): what the erasure alert watches."""
    oldest, count = session.execute(
        select(func.min(PrivacyRequest.requested_at), func.count()).where(
            PrivacyRequest.kind == ERASURE, PrivacyRequest.completed_at.is_(None)
        )
    ).one()
    age = (datetime.now(UTC) - aware(oldest)).total_seconds() if oldest else 0.0
    return int(count), age


def find(session: Session, erasure_id: uuid.UUID) -> PrivacyRequest | None:
    """An erasure request by id."""
    request = session.get(PrivacyRequest, erasure_id)
    return request if request is not None and request.kind == ERASURE else None


def matrix(session: Session, request: PrivacyRequest) -> dict[str, Any]:
    """An erasure's completion matrix: one row per service, and `complete` only when all are
    done."""
    rows = {r.service: r for r in session.query(ErasureProgress).filter_by(erasure_id=request.id)}
    services = [
        {
            "service": service,
            "status": rows[service].status,
            "counts": rows[service].counts,
            "kept": rows[service].kept,
            "done_at": aware(rows[service].done_at).isoformat() if rows[service].done_at else None,
        }
        for service in SERVICES
        if service in rows
    ]
    return {
        "id": str(request.id),
        "status": COMPLETE if request.completed_at else PENDING,
        "requested_at": aware(request.requested_at).isoformat(),
        "completed_at": aware(request.completed_at).isoformat() if request.completed_at else None,
        "services": services,
    }
