"""Local groups: a copy of each group's name and contact, for signing its emails, and which
group each person belongs to."""

from __future__ import annotations

from sanctuary.contracts import CoordinatorInvited, GroupChanged, PersonMoved
from sanctuary.unit_of_work import UnitOfWork

from notifications import domain
from notifications.adapters.models import GroupCopy, Person
from notifications.service_layer.handlers.people import PersonNotYetKnown
from notifications.service_layer.handlers.planning import keep_newest, plan


def on_group_changed(fact: GroupChanged, uow: UnitOfWork) -> None:
    """Keep the group as it now stands; an older version arriving late changes nothing."""
    fields = {
        "name": fact.name,
        "contact": fact.contact,
        "network": fact.network,
        "sequence": fact.sequence,
    }
    keep_newest(uow, GroupCopy, fact.group_id, fields)


def on_person_moved(fact: PersonMoved, uow: UnitOfWork) -> None:
    """From now on the person's emails are signed by their new group. A person not kept here
    yet (their own fact still on its way) is retried until it lands."""
    person = uow.session.get(Person, fact.person_id)
    if person is None:
        raise PersonNotYetKnown(str(fact.person_id))
    if person.group_id == fact.group_id:
        return  # applied already
    if person.group_id != fact.previous_group_id:
        # An earlier move has not arrived yet: retried until it has (parked if it never does),
        # so a late, older move can never undo a newer one.
        raise MoveOutOfOrder(str(fact.person_id))
    person.group_id = fact.group_id


class MoveOutOfOrder(Exception):
    """A move from a group the person is not in here yet: an earlier move is on its way."""


def on_coordinator_invited(fact: CoordinatorInvited, uow: UnitOfWork) -> None:
    """Email the invited person the link that sets their password."""
    plan(uow, domain.invitation(fact))
