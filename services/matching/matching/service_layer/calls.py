"""The calls coordinators owe newcomers reached by phone only (domain.calls, ADR 0039): the
list, within the caller's groups, and a call recorded as done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import MatchStatus
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.domain import calls
from matching.domain.groups import Scope
from matching.service_layer import views


class NoCallOwed(Exception):
    """The newcomer can be written to, or was called since the last news."""


@dataclass(frozen=True)
class Call:
    """A call owed: to whom, why, and for an introduction, the befriender approved."""

    newcomer: Newcomer
    why: str  # calls.REQUEST or calls.INTRODUCTION
    befriender: Volunteer | None


def owed(session: Session, scope: Scope = None) -> list[Call]:
    """The calls owed in the scope, the longest waiting first."""
    query = select(Newcomer).where(
        Newcomer.phone.is_not(None),
        Newcomer.email.is_(None),
        Newcomer.referrer_email.is_(None),
        Newcomer.status.in_(calls.OPEN),
    )
    if scope is not None:
        query = query.where(Newcomer.group_id.in_(scope))
    found = list(session.scalars(query.order_by(Newcomer.registered_at, Newcomer.id)))
    approved = _approved(session, [n.id for n in found])
    listed = []
    for newcomer in found:
        match = approved.get(newcomer.id)
        if (why := _due(newcomer, match)) is not None:
            befriender = session.get(Volunteer, match.volunteer_id) if match else None
            listed.append(Call(newcomer, why, befriender))
    return listed


def _due(newcomer: Newcomer, match: Match | None) -> str | None:
    """The call owed to the newcomer, whose approved or active match is `match`, if any."""
    if not calls.by_phone_only(newcomer.email, newcomer.referrer_email, newcomer.phone):
        return None
    approved_at = match.approved_at if match else None
    called_at = newcomer.called_at
    return calls.due(
        newcomer.status, called_at and as_utc(called_at), approved_at and as_utc(approved_at)
    )


def _approved(session: Session, newcomer_ids: list[uuid.UUID]) -> dict[uuid.UUID, Match]:
    # Each newcomer holds at most one open match (a unique index): the approved or active one.
    if not newcomer_ids:
        return {}
    query = select(Match).where(
        Match.newcomer_id.in_(newcomer_ids),
        Match.status.in_((MatchStatus.APPROVED, MatchStatus.ACTIVE)),
    )
    return {m.newcomer_id: m for m in session.scalars(query)}


def called(uow: UnitOfWork, newcomer_id: uuid.UUID, scope: Scope = None) -> Newcomer:
    """A coordinator called them: the call owed is done. NoCallOwed if none was."""
    newcomer = views.newcomer(uow.session, newcomer_id, scope)
    if _due(newcomer, _approved(uow.session, [newcomer.id]).get(newcomer.id)) is None:
        raise NoCallOwed(f"no call owed to newcomer {newcomer_id}")
    newcomer.called_at = datetime.now(UTC)
    return newcomer
