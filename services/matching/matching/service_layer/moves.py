"""Moving a volunteer or a newcomer to another local group (they moved city): refused while
they are in an open match, announced so that their emails are signed by the new group."""

from __future__ import annotations

import uuid

from sanctuary.contracts import PersonMoved
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import NewcomerStatus, VolunteerStatus
from sqlalchemy import select

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.domain import lifecycle
from matching.domain.groups import Scope, in_scope
from matching.service_layer.coordination import NotFound

KINDS: dict[str, type[Volunteer] | type[Newcomer]] = {"volunteer": Volunteer, "newcomer": Newcomer}
# An erased person is moved nowhere: not found.
ERASED = (VolunteerStatus.ERASED, NewcomerStatus.ERASED)


class InOpenMatch(Exception):
    """The person is in a proposed, approved or active match: end or reject it first."""


def move(
    uow: UnitOfWork, kind: str, person_id: uuid.UUID, group_id: uuid.UUID, *, scope: Scope = None
) -> Volunteer | Newcomer:
    """Put the person in `group_id`; NotFound outside the caller's scope, InOpenMatch while a
    match holds them. Moving to the group they are in changes and announces nothing."""
    person = uow.session.get(KINDS[kind], person_id, with_for_update=True)
    if person is None or person.status in ERASED or not in_scope(scope, person.group_id):
        raise NotFound(f"no {kind} {person_id}")
    if person.group_id == group_id:
        return person
    column = Match.volunteer_id if kind == "volunteer" else Match.newcomer_id
    open_match = uow.session.scalar(
        select(Match.id).where(column == person_id, Match.status.in_(lifecycle.OPEN)).limit(1)
    )
    if open_match is not None:
        raise InOpenMatch(
            f"This {kind} is in an open match ({open_match}): end or reject it before the move."
        )
    previous, person.group_id = person.group_id, group_id
    uow.publish(
        PersonMoved(person_id=person_id, kind=kind, group_id=group_id, previous_group_id=previous)
    )
    return person
