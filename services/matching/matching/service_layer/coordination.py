"""What coordinators (and the clock) do to volunteers and matches: each function one
transaction's worth of work on an open session, announcing every change through the outbox.

A coordinator acts within a scope (domain.groups.Scope: the groups they may see; None, every
group): anything outside it is NotFound, as if it did not exist, and nothing is changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sanctuary import contracts as c
from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import (
    CHECK_OUTCOMES,
    MatchAction,
    MatchEnding,
    MatchingMeasure,
    MatchStatus,
    NewcomerStatus,
    VolunteerStatus,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.domain import lifecycle
from matching.domain.groups import Scope, in_scope, run_by_group
from matching.domain.outcomes import Proposal, RunResult
from matching.service_layer import impact, population


class NotFound(LookupError):
    """No such volunteer, newcomer, match or group, or none the caller may see."""


def _volunteer_for_update(
    session: Session, volunteer_id: uuid.UUID, scope: Scope = None
) -> Volunteer:
    # Row lock on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers): two
    # coordinators deciding about one volunteer take turns.
    volunteer = session.get(Volunteer, volunteer_id, with_for_update=True)
    if volunteer is None or volunteer.status == VolunteerStatus.ERASED:
        raise NotFound(f"no volunteer {volunteer_id}")
    if not in_scope(scope, volunteer.group_id):
        raise NotFound(f"no volunteer {volunteer_id}")
    return volunteer


def record_checks(
    uow: UnitOfWork, volunteer_id: uuid.UUID, changes: dict[str, str], *, scope: Scope = None
) -> Volunteer:
    """Apply a coordinator's (or training's) checks; the status follows from them."""
    volunteer = _volunteer_for_update(uow.session, volunteer_id, scope)
    before = lifecycle.readiness(_checks(volunteer), volunteer.status)
    for check, value in changes.items():
        setattr(volunteer, check, value)
    checks = _checks(volunteer)
    previous = volunteer.status
    volunteer.status = lifecycle.volunteer_status(checks, previous)
    if volunteer.status == VolunteerStatus.READY != previous:
        now, group = datetime.now(UTC), volunteer.group_id
        impact.count(uow.session, now, group, impact.VOLUNTEER, MatchingMeasure.READY)
        ready_after, since = MatchingMeasure.READY_AFTER, volunteer.registered_at
        impact.count_days(uow.session, now, group, impact.VOLUNTEER, ready_after, since)
    uow.publish(
        c.VolunteerChecksRecorded(
            volunteer_id=volunteer.id,
            status=volunteer.status,
            previous_status=previous,
            group_id=volunteer.group_id,
            **checks,
        )
    )
    after = lifecycle.readiness(checks, volunteer.status)
    if after is not None and after != before:
        # The volunteer hears what changed: ready to be matched, or what is still missing.
        status, missing = after
        uow.publish(
            c.VolunteerReadinessChanged(
                volunteer_id=volunteer.id,
                status=status,
                missing=missing,
                group_id=volunteer.group_id,
            )
        )
    return volunteer


def _checks(volunteer: Volunteer) -> dict[str, str]:
    return {k: getattr(volunteer, k) for k in CHECK_OUTCOMES}


def start_run(
    uow: UnitOfWork, *, dry_run: bool, group_id: uuid.UUID | None = None, scope: Scope = None
) -> RunResult:
    """Run the matcher; unless a dry run, record each proposal and announce it.

    Pairs are only ever made within one local group (domain.groups). With `group_id` (one of
    the scope's, else NotFound), only that group's ready volunteers and waiting newcomers take
    part; without, each group of the scope is solved on its own. With neither, every group is
    solved, and each waiting newcomer with no group yet is listed unmatched with the reason
    "no local group yet" (they wait for a network admin to assign one); volunteers with no
    group are never proposed either way."""
    if group_id is not None and not in_scope(scope, group_id):
        raise NotFound(f"no group {group_id}")
    groups = scope if group_id is None else frozenset({group_id})
    now = datetime.now(UTC)
    result = run_by_group(population.of(uow.session, now, groups=groups), groups)
    if not dry_run:
        for proposal in result.proposals:
            _propose(uow, proposal, now)
        _remember(uow, result, now)
    return result


def _remember(uow: UnitOfWork, result: RunResult, now: datetime) -> None:
    """Why each newcomer this run left waiting (the coordinators' newcomers list), in one
    statement; a proposed newcomer's last reason is cleared."""
    rows = [
        {"id": newcomer_id, "last_run_at": now, "unmatched": why.as_dict()}
        for newcomer_id, why in result.unmatched.items()
    ]
    rows += [{"id": p.newcomer_id, "last_run_at": now, "unmatched": None} for p in result.proposals]
    if rows:
        uow.session.execute(update(Newcomer), rows)


def _propose(uow: UnitOfWork, proposal: Proposal, now: datetime) -> None:
    """Record one proposal as a match of the newcomer's group, and announce it; nothing when
    either person changed since the run read them (both re-read under their row locks)."""
    session = uow.session
    newcomer = session.get(
        Newcomer, proposal.newcomer_id, with_for_update=True, populate_existing=True
    )
    volunteer = session.get(
        Volunteer, proposal.volunteer_id, with_for_update=True, populate_existing=True
    )
    assert newcomer is not None
    assert volunteer is not None
    if not population.takes_part(volunteer) or not population.takes_part(newcomer):
        return  # erased, paused, or no longer ready or waiting since the run read them
    if population.under_concern(session, volunteer.id):
        return  # a match of theirs was paused under a concern since the run read them
    match = Match(
        id=uuid.uuid4(),
        volunteer_id=proposal.volunteer_id,
        newcomer_id=proposal.newcomer_id,
        status=MatchStatus.PROPOSED,
        score=proposal.score,
        group_id=newcomer.group_id,
        explanation=proposal.explanation(),
        reason=None,
        checkins_sent=[],
        proposed_at=now,
        approved_at=None,
        decided_at=None,
    )
    uow.session.add(match)
    newcomer.status = NewcomerStatus.PROPOSED
    impact.count(session, now, match.group_id, impact.MATCH, MatchingMeasure.PROPOSED)
    uow.publish(
        c.MatchProposed(
            match_id=match.id,
            volunteer_id=match.volunteer_id,
            newcomer_id=match.newcomer_id,
            score=match.score,
            group_id=match.group_id,
        )
    )


# The fact each action announces, and the newcomer's status after it.
_FACTS: dict[str, tuple[type, str | None]] = {
    MatchAction.APPROVE: (c.MatchApproved, NewcomerStatus.MATCHED),
    MatchAction.REJECT: (c.MatchRejected, NewcomerStatus.WAITING),
    MatchAction.ACTIVATE: (c.MatchActivated, None),
    MatchAction.END: (c.MatchEnded, None),
}


def decide(
    uow: UnitOfWork,
    match_id: uuid.UUID,
    action: str,
    *,
    reason: str | None = None,
    ending: MatchEnding = MatchEnding.OTHER,
    newcomer_wants_another: bool = False,
    scope: Scope = None,
) -> Match:
    """A coordinator's decision on a match: approve, reject (reason), activate or end (reason,
    and how it ended in the impact report's words)."""
    session = uow.session
    match = session.get(Match, match_id, with_for_update=True)
    if match is None or not in_scope(scope, match.group_id):
        raise NotFound(f"no match {match_id}")
    new_status = lifecycle.next_status(match.status, action)
    volunteer = _volunteer_for_update(session, match.volunteer_id)
    if action == MatchAction.APPROVE:
        holding = population.open_matches(session, lifecycle.HOLDS_CAPACITY)[volunteer.id]
        lifecycle.check_capacity(holding, volunteer.max_matches)
        match.approved_at = datetime.now(UTC)
    match.status, match.decided_at = new_status, datetime.now(UTC)
    if reason:
        match.reason = reason
    fact, newcomer_status = _FACTS[action]
    if action == MatchAction.END:
        newcomer_status = (
            NewcomerStatus.WAITING if newcomer_wants_another else NewcomerStatus.CLOSED
        )
    newcomer = session.get(Newcomer, match.newcomer_id)
    assert newcomer is not None
    if newcomer_status:
        newcomer.status = newcomer_status
    _count_decision(session, match, action, newcomer, ending)
    ids = {
        "match_id": match.id,
        "volunteer_id": match.volunteer_id,
        "newcomer_id": match.newcomer_id,
        "group_id": match.group_id,
    }
    uow.publish(fact(**ids, **({"reason": reason} if reason else {})))
    return match


# The impact report's word for each decision (ADR 42).
_MEASURES = {
    MatchAction.APPROVE: MatchingMeasure.APPROVED,
    MatchAction.REJECT: MatchingMeasure.REJECTED,
    MatchAction.ACTIVATE: MatchingMeasure.ACTIVATED,
    MatchAction.END: MatchingMeasure.ENDED,
}


def _count_decision(
    session: Session, match: Match, action: str, newcomer: Newcomer, ending: MatchEnding
) -> None:
    now, group = datetime.now(UTC), match.group_id
    measure = _MEASURES[MatchAction(action)]
    if action == MatchAction.END:
        measure = impact.ended(ending)
    impact.count(session, now, group, impact.MATCH, measure)
    if action == MatchAction.APPROVE:  # how long they waited, asked to approved
        waited = MatchingMeasure.MATCHED_AFTER
        impact.count_days(session, now, group, impact.NEWCOMER, waited, newcomer.registered_at)


def announce_due_checkins(uow: UnitOfWork, now: datetime) -> int:
    """Publish each check-in that has come due (two weeks, three months after approval); none
    for a match paused under a safeguarding concern."""
    session = uow.session
    published = 0
    held = select(Match).where(
        Match.status.in_(lifecycle.HOLDS_CAPACITY), Match.paused_at.is_(None)
    )
    for match in session.scalars(held.with_for_update()):
        assert match.approved_at is not None
        for due in lifecycle.checkins_due(as_utc(match.approved_at), match.checkins_sent, now):
            match.checkins_sent = [*match.checkins_sent, due.name]
            uow.publish(
                c.MatchCheckinDue(
                    match_id=match.id,
                    volunteer_id=match.volunteer_id,
                    newcomer_id=match.newcomer_id,
                    checkin=due.name,
                    group_id=match.group_id,
                )
            )
            impact.count(session, now, match.group_id, impact.MATCH, MatchingMeasure.CHECKIN_SENT)
            published += 1
    return published
