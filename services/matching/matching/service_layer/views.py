"""What coordinators read of volunteers, newcomers and matches, within their scope
(domain.groups.Scope: the groups they may see; None, every group). Someone outside it is
NotFound, exactly as someone who does not exist; a list holds only the scope's rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary.bodies.matching import GROUP_SUMMARY, LONGEST_WAIT
from sanctuary.db import as_utc
from sanctuary.vocabulary import MatchStatus, NewcomerStatus, VolunteerStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.domain.groups import Scope, in_scope, suggestions_in_group
from matching.service_layer import population
from matching.service_layer.coordination import NotFound


def volunteer(session: Session, volunteer_id: uuid.UUID, scope: Scope = None) -> Volunteer:
    """One volunteer of the scope (an erased one is not found)."""
    found = session.get(Volunteer, volunteer_id)
    if (
        found is None
        or found.status == VolunteerStatus.ERASED
        or not in_scope(scope, found.group_id)
    ):
        raise NotFound(f"no volunteer {volunteer_id}")
    return found


def newcomer(session: Session, newcomer_id: uuid.UUID, scope: Scope = None) -> Newcomer:
    """One newcomer of the scope (an erased one is not found)."""
    found = session.get(Newcomer, newcomer_id)
    if (
        found is None
        or found.status == NewcomerStatus.ERASED
        or not in_scope(scope, found.group_id)
    ):
        raise NotFound(f"no newcomer {newcomer_id}")
    return found


def volunteers(session: Session, status: str | None, scope: Scope = None) -> list[Volunteer]:
    """The scope's volunteers, oldest first, optionally of one status; never the erased."""
    return _listed(session, Volunteer, status, scope)


def newcomers(session: Session, status: str | None, scope: Scope = None) -> list[Newcomer]:
    """The scope's newcomers, the longest waiting first, optionally of one status; never the
    erased."""
    return _listed(session, Newcomer, status, scope)


def _listed(session: Session, model: Any, status: str | None, scope: Scope) -> list[Any]:
    # ERASED is one value in both vocabularies ("erased").
    query = select(model).where(model.status != VolunteerStatus.ERASED)
    query = query.order_by(model.registered_at, model.id)
    if status:
        query = query.where(model.status == status)
    if scope is not None:
        query = query.where(model.group_id.in_(scope))
    return list(session.scalars(query))


def unplaced(session: Session, scope: Scope = None, limit: int = 200) -> list[Volunteer | Newcomer]:
    """Volunteers and newcomers no local group covers yet, the longest waiting first: the
    network's list, for network admins to place (nobody's, for a coordinator's scope). The
    erased are nobody's to place."""
    if scope is not None:
        return []
    found: list[Volunteer | Newcomer] = []
    erased = (VolunteerStatus.ERASED, NewcomerStatus.ERASED)
    for model, status in zip((Volunteer, Newcomer), erased, strict=True):
        query = select(model).where(model.group_id.is_(None), model.status != status)
        query = query.order_by(model.registered_at)
        found += session.scalars(query.limit(limit))
    return sorted(found, key=lambda person: person.registered_at)[:limit]


def match(
    session: Session, match_id: uuid.UUID, scope: Scope = None, *, lock: bool = False
) -> Match:
    """One match of the scope (its row locked with `lock`); NotFound otherwise."""
    found = session.get(Match, match_id, with_for_update=lock)
    if found is None or not in_scope(scope, found.group_id):
        raise NotFound(f"no match {match_id}")
    return found


def matches(session: Session, status: str | None, scope: Scope = None) -> list[Match]:
    """The scope's matches, newest first, optionally of one status."""
    query = select(Match).order_by(Match.proposed_at.desc(), Match.id)
    if status:
        query = query.where(Match.status == status)
    if scope is not None:
        query = query.where(Match.group_id.in_(scope))
    return list(session.scalars(query))


def people_of(session: Session, listed: list[Match]) -> dict[uuid.UUID, Volunteer | Newcomer]:
    """The volunteers and newcomers of these matches, by id: two queries for any number."""
    people: dict[uuid.UUID, Volunteer | Newcomer] = {}
    for model, ids in (
        (Volunteer, {m.volunteer_id for m in listed}),
        (Newcomer, {m.newcomer_id for m in listed}),
    ):
        if ids:
            people.update(
                (row.id, row) for row in session.scalars(select(model).where(model.id.in_(ids)))
            )
    return people


def suggest(session: Session, newcomer_id: uuid.UUID, scope: Scope = None) -> list[dict[str, Any]]:
    """The five best ready volunteers of the newcomer's own group, with explanations; none
    while the newcomer has no group yet."""
    waiting = newcomer(session, newcomer_id, scope)
    if waiting.status != NewcomerStatus.WAITING or waiting.group_id is None:
        return []  # proposed, matched or closed; or nobody to suggest from yet
    pop = population.of(session, datetime.now(UTC), groups=frozenset({waiting.group_id}))
    return [
        {"volunteer_id": str(p.volunteer_id), "score": p.score, "factors": p.factors}
        for p in suggestions_in_group(pop, newcomer_id)
    ]


def summary(session: Session, scope: Scope = None) -> list[dict[str, Any]]:
    """Per group (None: no local group yet): volunteers applied and ready, newcomers waiting
    and the longest wait in days, proposals to decide. Counts only: no person's data."""
    rows: dict[uuid.UUID | None, dict[str, Any]] = {}
    counted: tuple[tuple[Any, Any, str], ...] = (
        (Volunteer, Volunteer.registered_at, VolunteerStatus.APPLIED),
        (Volunteer, Volunteer.registered_at, VolunteerStatus.READY),
        (Newcomer, Newcomer.registered_at, NewcomerStatus.WAITING),
        (Match, Match.proposed_at, MatchStatus.PROPOSED),
    )
    for model, since, status in counted:
        query = select(model.group_id, func.count(), func.min(since))
        query = query.where(model.status == status).group_by(model.group_id)
        if scope is not None:
            query = query.where(model.group_id.in_(scope))
        for group_id, n, earliest in session.execute(query):
            row = rows.setdefault(group_id, _empty_summary(group_id))
            row[status] = n
            if status == NewcomerStatus.WAITING and earliest is not None:
                row[LONGEST_WAIT] = (datetime.now(UTC) - as_utc(earliest)).days
    return sorted(rows.values(), key=lambda row: row["group_id"] or "")


def _empty_summary(group_id: uuid.UUID | None) -> dict[str, Any]:
    return {"group_id": group_id and str(group_id), **dict.fromkeys(GROUP_SUMMARY, 0)}
