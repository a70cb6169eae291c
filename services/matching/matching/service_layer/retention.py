"""Matching's part of the retention schedule (sanctuary.retention, ADR 0028), in one unit of
work: volunteers never ready and requests closed long ago are erased everywhere; ended
matches lose their personal details; DBS outcomes are purged.

A person expired here is erased as a coordinator's erasure would be, by ids only (never the
address: the same person may have signed up again since, and that is a new consent): the
fact `person.erasure_requested` is announced first, so the gateway records it and every
service erases, then matching applies it at once through its own erasure handler (which its
worker will then find in the erasure log, and skip).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sanctuary.contracts import ErasureRequested
from sanctuary.retention import Retention
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import CheckOutcome, MatchStatus, NewcomerStatus, VolunteerStatus
from sqlalchemy import Select, String, cast, exists, or_, select, update

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.service_layer.privacy import anonymise_match

# At most this many people or matches a pass, so one transaction stays small.
BATCH = 500
UNREADY = "retention: a volunteer never ready, a year without activity"
CLOSED = "retention: a request closed a year ago"

Erase = Callable[[ErasureRequested, UnitOfWork], None]


def apply(uow: UnitOfWork, now: datetime, periods: Retention, erase: Erase) -> dict[str, int]:
    """Carry out matching's part of the schedule as of `now`: how many of each kind."""
    unready = periods.cutoff("unready_volunteers", now)
    closed = periods.cutoff("closed_requests", now)
    recent_match = exists().where(
        Match.newcomer_id == Newcomer.id,
        or_(Match.decided_at >= closed, Match.decided_at.is_(None)),
    )
    return {
        "unready_volunteers": _expire(
            uow,
            now,
            erase,
            "volunteer_ids",
            select(Volunteer.id).where(
                Volunteer.status == VolunteerStatus.APPLIED, Volunteer.active_at < unready
            ),
            UNREADY,
        ),
        "closed_requests": _expire(
            uow,
            now,
            erase,
            "newcomer_ids",
            select(Newcomer.id).where(Newcomer.status == NewcomerStatus.CLOSED, ~recent_match),
            CLOSED,
        ),
        "ended_matches": _blank_matches(uow, periods.cutoff("ended_matches", now)),
        "dbs_outcomes": _purge_dbs(uow, periods.cutoff("dbs", now)),
    }


def _expire(
    uow: UnitOfWork,
    now: datetime,
    erase: Erase,
    kind: str,
    due: Select[tuple[uuid.UUID]],
    reason: str,
) -> int:
    """Erase each person `due` finds, everywhere, one erasure each: how many."""
    found = list(uow.session.scalars(due.limit(BATCH)))
    for person_id in found:
        request = ErasureRequested(
            erasure_id=uuid.uuid4(),
            requested_at=now,
            confirm=False,
            reason=reason,
            **{kind: (person_id,)},
        )
        uow.publish(request)
        erase(request, uow)
    return len(found)


def _blank_matches(uow: UnitOfWork, cutoff: datetime) -> int:
    """Ended matches whose end is before `cutoff` lose the explanation and the reason."""
    found = uow.session.scalars(
        select(Match)
        .where(
            Match.status == MatchStatus.ENDED,
            Match.decided_at < cutoff,
            cast(Match.explanation, String) != "{}",
        )
        .limit(BATCH)
    )
    return sum(anonymise_match(match) for match in found)


def _purge_dbs(uow: UnitOfWork, cutoff: datetime) -> int:
    """DBS outcomes recorded before `cutoff` go, with their date; not an activity of the
    volunteer's (their last activity stays as it was)."""
    purged = uow.session.execute(
        update(Volunteer)
        .where(Volunteer.dbs == CheckOutcome.HELD, Volunteer.dbs_recorded_at < cutoff)
        .values(dbs=CheckOutcome.NONE, dbs_recorded_at=None, active_at=Volunteer.active_at)
        .execution_options(synchronize_session=False)
    )
    return int(purged.rowcount or 0)  # type: ignore[attr-defined]
