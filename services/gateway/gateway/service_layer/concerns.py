"""Safeguarding concerns and their case files (ADR 45): raised by anyone, announced to whoever
must hear (the group's lead and deputy, else the network's lead, else the group's contact),
opened only by them; acknowledged, added to and closed; urgent ones left unacknowledged for
an hour escalated to the network's lead."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary import contracts as c
from sanctuary import references
from sanctuary.db import as_utc
from sanctuary.safeguarding_words import (
    ConcernAbout,
    ConcernEntryKind,
    ConcernStatus,
    ConcernUrgency,
)
from sanctuary.unit_of_work import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from gateway.adapters.models import Concern, ConcernEntry, Coordinator, Group
from gateway.adapters.upstream import Upstream
from gateway.domain import concerns as rules
from gateway.domain.concerns import Roles

log = logging.getLogger(__name__)


class ConcernNotFound(LookupError):
    """No such concern, or not one the caller may open (the same 404 either way)."""


class NotAboutAMatch(Exception):
    """Only a concern about a match can pause one (409)."""


class MatchUnchanged(Exception):
    """Matching would not pause or resume the match: it has ended, or is not known (409)."""


def raise_concern(
    units: UnitOfWorkFactory,
    data: dict[str, Any],
    group_id: uuid.UUID | None,
    raised_by: uuid.UUID | None = None,
) -> dict[str, str]:
    """Keep a new concern and announce that it waits; the 202's body (its reference)."""
    with units() as uow:
        now, concern_id = datetime.now(UTC), uuid.uuid4()
        concern = Concern(
            id=concern_id,
            group_id=group_id,
            about=data["about"]["kind"],
            about_id=data["about"]["id"],
            category=data["category"],
            urgency=data["urgency"],
            details=data["details"],
            reporter_contact=data.get("reporter_contact"),
            raised_by=raised_by,
            status=ConcernStatus.OPEN,
            raised_at=now,
        )
        uow.session.add(concern)
        notify = _to_tell(uow.session, group_id)
        if notify:
            uow.publish(
                c.ConcernRaised(
                    concern_id=concern_id,
                    reference=references.of(concern_id),
                    urgency=ConcernUrgency(concern.urgency),
                    notify=notify,
                    group_id=group_id,
                )
            )
        else:  # kept, and listed for the network's lead once one is named
            log.warning("a safeguarding concern waits with nobody named to tell")
        return {"id": str(concern_id), "reference": references.of(concern_id)}


def _to_tell(session: Session, group_id: uuid.UUID | None) -> tuple[str, ...]:
    """Who hears that a concern of `group_id` waits: its lead and deputy; else the network's
    lead; else the group's own contact (the network group's, for no group); else nobody."""
    group = session.get(Group, group_id) if group_id else None
    if group is not None:
        ids = [i for i in (group.safeguarding_lead_id, group.safeguarding_deputy_id) if i]
        named = session.scalars(select(Coordinator.email).where(Coordinator.id.in_(ids)))
        if found := tuple(sorted(set(named))):
            return found
    return _network_leads(session) or _contact(session, group)


def _network_leads(session: Session) -> tuple[str, ...]:
    leads = session.scalars(
        select(Coordinator.email).where(Coordinator.safeguarding_lead, Coordinator.active)
    )
    return tuple(sorted(leads))


def _contact(session: Session, group: Group | None) -> tuple[str, ...]:
    """The group's contact, or the network group's (which `migrate` seeds) for no group."""
    if group is None:
        group = session.scalar(select(Group).where(Group.network))
    return (group.contact,) if group is not None else ()


def roles_of(session: Session, coordinator_id: uuid.UUID | None) -> Roles:
    """A coordinator's safeguarding roles; none for the bootstrap credential."""
    if coordinator_id is None:
        return Roles()
    coordinator = session.get(Coordinator, coordinator_id)
    led = session.scalars(
        select(Group.id).where(
            or_(
                Group.safeguarding_lead_id == coordinator_id,
                Group.safeguarding_deputy_id == coordinator_id,
            )
        )
    )
    return Roles(frozenset(led), bool(coordinator and coordinator.safeguarding_lead))


def visible(session: Session, roles: Roles) -> list[Concern]:
    """The concerns the caller may open, the most recent first."""
    query = select(Concern).order_by(Concern.raised_at.desc(), Concern.id)
    if not roles.network_lead:
        query = query.where(Concern.group_id.in_(roles.leads))
    return list(session.scalars(query))


def opened(session: Session, concern_id: uuid.UUID, roles: Roles, *, lock: bool = False) -> Concern:
    """The concern, if the caller may open it; ConcernNotFound otherwise."""
    concern = session.get(Concern, concern_id, with_for_update=lock)
    if concern is None or not rules.may_open(roles, concern.group_id):
        raise ConcernNotFound("No such concern.")
    return concern


def entries(session: Session, concern_id: uuid.UUID) -> list[ConcernEntry]:
    query = select(ConcernEntry).where(ConcernEntry.concern_id == concern_id)
    return list(session.scalars(query.order_by(ConcernEntry.written_at, ConcernEntry.id)))


def acknowledge(uow: UnitOfWork, concern_id: uuid.UUID, roles: Roles) -> Concern:
    """A lead takes the concern in hand (once; acknowledging again changes nothing)."""
    concern = opened(uow.session, concern_id, roles, lock=True)
    rules.may_add(concern.status)
    if concern.status == ConcernStatus.OPEN:
        concern.status, concern.acknowledged_at = ConcernStatus.ACKNOWLEDGED, datetime.now(UTC)
    return concern


def add_entry(
    uow: UnitOfWork,
    concern_id: uuid.UUID,
    roles: Roles,
    entry: dict[str, Any],
    by: uuid.UUID | None,
) -> ConcernEntry:
    """An action or a referral added to the case file (which only grows)."""
    concern = opened(uow.session, concern_id, roles, lock=True)
    rules.may_add(concern.status)
    return _added(uow, concern, entry, by)


def pause_match(
    uow: UnitOfWork,
    concern_id: uuid.UUID,
    roles: Roles,
    step: str,
    note: str | None,
    by: uuid.UUID | None,
    matching: Upstream,
    correlation_id: str,
) -> Concern:
    """Pause (`step` "pause") or resume the match a concern is about, through matching's
    internal API, and say so in the case file: NotAboutAMatch, or MatchUnchanged when matching
    refuses (the match has ended, or is not known)."""
    concern = opened(uow.session, concern_id, roles, lock=True)
    rules.may_add(concern.status)
    if concern.about != ConcernAbout.MATCH:
        raise NotAboutAMatch("This concern is not about a match.")
    path = f"/internal/v1/matches/{concern.about_id}/{step}"
    if matching.forward("POST", path, correlation_id).status_code != 200:
        raise MatchUnchanged(f"The match could not be {step}d: it has ended, or is not known.")
    said = f"Match {step}d" + (f": {note}" if note else ".")
    _added(uow, concern, {"kind": ConcernEntryKind.ACTION, "body": said}, by)
    return concern


def _added(
    uow: UnitOfWork, concern: Concern, entry: dict[str, Any], by: uuid.UUID | None
) -> ConcernEntry:
    """`entry` added to the case file of `concern`, found and checked by the caller."""
    added = ConcernEntry(
        id=uuid.uuid4(),
        concern_id=concern.id,
        kind=entry["kind"],
        body=entry["body"],
        referred_to=entry.get("referred_to"),
        written_by=by,
        written_at=datetime.now(UTC),
    )
    uow.session.add(added)
    return added


def close(
    uow: UnitOfWork, concern_id: uuid.UUID, roles: Roles, outcome: str | None, reason: str | None
) -> Concern:
    """Close the case file: an outcome and a closure reason are needed."""
    concern = opened(uow.session, concern_id, roles, lock=True)
    rules.closing(concern.status, outcome, reason)
    concern.status, concern.closed_at = ConcernStatus.CLOSED, datetime.now(UTC)
    concern.outcome, concern.closure_reason = outcome, reason
    concern.acknowledged_at = concern.acknowledged_at or concern.closed_at
    return concern


def escalate_due(uow: UnitOfWork, now: datetime) -> int:
    """Announce each urgent concern left unacknowledged an hour to the network's lead, once."""
    session, escalated, notify = uow.session, 0, None
    waiting = select(Concern).where(
        Concern.urgency == ConcernUrgency.URGENT,
        Concern.status == ConcernStatus.OPEN,
        Concern.escalated_at.is_(None),
        Concern.raised_at <= now - rules.ESCALATE_AFTER,  # only those due are locked
    )
    for concern in session.scalars(waiting.with_for_update(skip_locked=True)):
        raised = as_utc(concern.raised_at)
        if not rules.escalation_due(concern.urgency, concern.status, raised, None, now):
            continue
        concern.escalated_at, escalated = now, escalated + 1
        if notify is None:  # the same people for every concern of this pass
            notify = _network_leads(session) or _contact(session, None)
        if not notify:
            log.warning("an urgent safeguarding concern waits with nobody named to tell")
            continue
        uow.publish(
            c.ConcernEscalated(
                concern_id=concern.id,
                reference=references.of(concern.id),
                urgency=ConcernUrgency(concern.urgency),
                notify=notify,
                group_id=concern.group_id,
            )
        )
    return escalated


# Why a concern outlives an erasure of the person it is about (ADR 45, docs/safeguarding.md).
KEPT_REASON = (
    "a safeguarding record: kept after an erasure for RETAIN_SAFEGUARDING_DAYS from its "
    "closing, to protect people from harm (UK GDPR Art. 6(1)(c) and 9(2)(g); DPA 2018 "
    "Sch. 1 para. 18), then erased"
)


def kept_through_erasure(session: Session, ids: frozenset[str]) -> dict[str, str]:
    """What an erasure of the person with these ids leaves in the gateway's safeguarding
    records, and why: {} when no concern is about them."""
    subjects = [uuid.UUID(i) for i in ids]
    about = session.scalar(
        select(func.count()).select_from(Concern).where(Concern.about_id.in_(subjects))
    )
    return {f"safeguarding records ({about})": KEPT_REASON} if about else {}


def purge_closed(uow: UnitOfWork, cutoff: datetime) -> int:
    """Erase the case files closed before `cutoff` (the retention schedule): how many."""
    gone = list(
        uow.session.scalars(
            select(Concern.id).where(
                Concern.status == ConcernStatus.CLOSED, Concern.closed_at < cutoff
            )
        )
    )
    if gone:
        uow.session.execute(delete(ConcernEntry).where(ConcernEntry.concern_id.in_(gone)))
        uow.session.execute(delete(Concern).where(Concern.id.in_(gone)))
    return len(gone)
