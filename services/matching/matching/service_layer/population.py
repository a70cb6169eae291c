"""Who takes part in a matching run, read from the database as the matcher's profiles: ready
volunteers with their free places, waiting newcomers, and the pairs never to repeat. Nobody
paused (from their own data page) or erased takes part, nor a volunteer whose match a
safeguarding lead paused."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime

from sanctuary.db import as_utc
from sanctuary.vocabulary import CheckOutcome, MatchStatus, NewcomerStatus, VolunteerStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.domain import lifecycle
from matching.domain.groups import Scope
from matching.domain.profiles import Newcomer as NewcomerProfile
from matching.domain.profiles import Population
from matching.domain.profiles import Volunteer as VolunteerProfile

READY, WAITING = VolunteerStatus.READY, NewcomerStatus.WAITING


def takes_part(person: Volunteer | Newcomer) -> bool:
    """Whether a volunteer is ready, or a newcomer waiting, and neither paused: the rule
    `of` applies in SQL, for one row re-read under its lock."""
    wanted = READY if isinstance(person, Volunteer) else WAITING
    return person.status == wanted and person.paused_at is None


# Volunteers with an open match paused under a safeguarding concern: proposed to nobody else.
UNDER_CONCERN = select(Match.volunteer_id).where(
    Match.paused_at.is_not(None), Match.status.in_(lifecycle.OPEN)
)


def under_concern(session: Session, volunteer_id: uuid.UUID) -> bool:
    """Whether a match of this volunteer is paused under a concern: the rule `of` applies in
    SQL, for one volunteer re-read under its lock (`safeguarding.pause` takes the same lock)."""
    found = session.scalar(UNDER_CONCERN.where(Match.volunteer_id == volunteer_id).limit(1))
    return found is not None


def open_matches(session: Session, statuses: tuple[str, ...]) -> Counter[uuid.UUID]:
    rows = session.execute(
        select(Match.volunteer_id, func.count())
        .where(Match.status.in_(statuses))
        .group_by(Match.volunteer_id)
    )
    return Counter({volunteer_id: n for volunteer_id, n in rows})


def of(session: Session, now: datetime, *, groups: Scope = None) -> Population:
    """Ready volunteers with their free places, waiting newcomers, and the pairs never to
    repeat: the input of a run. With `groups`, only those groups' people; without, everyone
    (people with no group too: the run decides what becomes of them)."""
    held = open_matches(session, lifecycle.OPEN)
    ready = select(Volunteer).where(
        Volunteer.status == READY,
        Volunteer.paused_at.is_(None),
        Volunteer.id.not_in(UNDER_CONCERN),  # a match of theirs paused under a concern
    )
    waiting = select(Newcomer).where(Newcomer.status == WAITING, Newcomer.paused_at.is_(None))
    if groups is not None:
        ready = ready.where(Volunteer.group_id.in_(groups))
        waiting = waiting.where(Newcomer.group_id.in_(groups))
    volunteers = tuple(
        _volunteer_profile(v, held[v.id])
        for v in session.scalars(ready.order_by(Volunteer.registered_at, Volunteer.id))
    )
    newcomers = tuple(
        _newcomer_profile(n, now)
        for n in session.scalars(waiting.order_by(Newcomer.registered_at, Newcomer.id))
    )
    excluded = frozenset(
        (volunteer_id, newcomer_id)
        for volunteer_id, newcomer_id in session.execute(
            select(Match.volunteer_id, Match.newcomer_id).where(
                Match.status.in_((MatchStatus.REJECTED, MatchStatus.ENDED))
            )
        )
    )
    return Population(volunteers=volunteers, newcomers=newcomers, excluded=excluded)


def _volunteer_profile(v: Volunteer, matches_held: int) -> VolunteerProfile:
    """What the matcher knows of a ready volunteer: no name, no contact."""
    return VolunteerProfile(
        id=v.id,
        district=v.district,
        languages=frozenset(v.languages),
        availability=frozenset(tuple(s) for s in v.availability),  # type: ignore[misc]
        interests=frozenset(v.interests),
        gender=v.gender,
        same_gender_only=v.same_gender_only,
        has_dbs=v.dbs == CheckOutcome.HELD,
        capacity_left=max(v.max_matches - matches_held, 0),
        group_id=v.group_id,
    )


def _newcomer_profile(n: Newcomer, now: datetime) -> NewcomerProfile:
    """What the matcher knows of a waiting newcomer: no name, no contact."""
    return NewcomerProfile(
        id=n.id,
        district=n.district,
        languages=frozenset(n.languages),
        wants_english_practice=n.wants_english_practice,
        needs=frozenset(n.needs),
        interests=frozenset(n.interests),
        availability=frozenset(tuple(s) for s in n.availability),  # type: ignore[misc]
        gender=n.gender,
        same_gender_only=n.same_gender_only,
        needs_dbs=n.needs_dbs,
        waiting_days=max((now - as_utc(n.registered_at)).days, 0),
        group_id=n.group_id,
    )
