"""Volunteers, newcomers and their matches: welcomes, acknowledgements, introductions."""

from __future__ import annotations

import uuid

from sanctuary.contracts import (
    ConcernEscalated,
    ConcernRaised,
    MatchChanged,
    NewcomerRequested,
    VolunteerCheckLapsed,
    VolunteerCheckRenewalDue,
    VolunteerReadinessChanged,
    VolunteerRegistered,
)
from sanctuary.unit_of_work import Handler, UnitOfWork

from notifications import domain
from notifications.adapters.models import Person, Tombstone
from notifications.domain import safeguarding
from notifications.service_layer.handlers.planning import plan, signature


def on_volunteer_registered(event: VolunteerRegistered, uow: UnitOfWork) -> None:
    """Welcome a newly registered volunteer (and keep where to write about their match)."""
    _keep_person(uow, event.volunteer_id, "volunteer", event.name, event.email, None, event)
    plan(uow, domain.welcome(event))


def on_newcomer_requested(event: NewcomerRequested, uow: UnitOfWork) -> None:
    """Confirm to the newcomer, or to their referrer, that the request has arrived (by
    email: one with a phone only hears from a coordinator)."""
    _keep_person(
        uow,
        event.newcomer_id,
        "newcomer",
        event.name,
        event.email,
        event.referrer_email,
        event,
    )
    if (acknowledgement := domain.request_received(event)) is not None:
        plan(uow, acknowledgement)


def on_readiness_changed(fact: VolunteerReadinessChanged, uow: UnitOfWork) -> None:
    """Tell a volunteer they are ready to be matched, or what is still missing."""
    volunteer = _contact(uow, fact.volunteer_id)
    if volunteer is not None and volunteer.address:
        plan(uow, domain.readiness(fact, volunteer))


def on_check_running_out(
    fact: VolunteerCheckRenewalDue | VolunteerCheckLapsed, uow: UnitOfWork
) -> None:
    """Remind a volunteer their DBS check or training runs out soon, or tell them it has."""
    volunteer = _contact(uow, fact.volunteer_id)
    if volunteer is not None and volunteer.address:
        plan(uow, safeguarding.check_email(fact, volunteer))


def on_concern(fact: ConcernRaised | ConcernEscalated, uow: UnitOfWork) -> None:
    """Tell each safeguarding lead the gateway named that a concern is waiting."""
    for email in safeguarding.concern_emails(fact):
        plan(uow, email)


def _keep_person(
    uow: UnitOfWork,
    person_id: uuid.UUID,
    kind: str,
    name: str,
    email: str | None,
    referrer_email: str | None,
    fact: VolunteerRegistered | NewcomerRequested,
) -> None:
    # Skipped in a batch, and without flushing: see planning._planned_already.
    if uow.batched:
        known = False
    else:
        with uow.session.no_autoflush:
            known = uow.session.get(Person, person_id) is not None
    if not known:
        uow.insert(
            Person,
            id=person_id,
            kind=kind,
            name=name,
            email=email,
            referrer_email=referrer_email,
            locale=fact.locale,
            group_id=fact.group_id,
        )


class PersonNotYetKnown(Exception):
    """A match fact came before the person's own: retried until it lands."""


def _contact(uow: UnitOfWork, person_id: uuid.UUID) -> domain.Contact | None:
    """The person as emails about their match need them; None for someone erased (their id
    is tombstoned: ids are never reused). Their address is "" when none is left (a referred
    newcomer whose referrer was erased): nothing is sent to them then."""
    person = uow.session.get(Person, person_id)
    if person is None:
        if uow.session.get(Tombstone, str(person_id)) is not None:
            return None
        raise PersonNotYetKnown(str(person_id))  # transient: the delay queues defer it
    return domain.Contact(
        id=person.id,
        kind=person.kind,
        name=person.name,
        address=person.email or person.referrer_email or "",
        referred=person.email is None,
        locale=person.locale,
        group_id=person.group_id,
    )


def _coordinator(address: str, group_id: uuid.UUID | None) -> domain.Contact:
    """The group's contact, as the reader of the emails meant for its coordinators."""
    return domain.Contact(
        id=uuid.UUID(int=0),
        kind="coordinator",
        name="Coordinator",
        address=address,
        referred=False,
        group_id=group_id,
    )


# match fact -> (template, whether the pair hear of it, whether the coordinator does)
MATCH_EMAILS = {
    "match.proposed": ("match_proposed", False, True),
    "match.approved": ("match_introduction", True, False),
    "match.checkin_due": ("match_checkin", True, True),
    "match.ended": ("match_ended", True, False),
}


def on_match_changed(message_type: str) -> Handler:
    """The handler of one match fact: plan its emails to the pair and to the coordinators of
    the pair's group (its contact address)."""
    template, to_pair, to_coordinator = MATCH_EMAILS[message_type]

    def handle(fact: MatchChanged, uow: UnitOfWork) -> None:
        volunteer, newcomer = _contact(uow, fact.volunteer_id), _contact(uow, fact.newcomer_id)
        if volunteer is None and newcomer is None:
            return  # both erased: nobody to tell
        # The pair's group: the newcomer's, else (they were erased) the volunteer's.
        group_id = newcomer.group_id if newcomer else volunteer.group_id if volunteer else None
        contact = str(signature(uow, group_id)["contact"])
        key = getattr(fact, "checkin", "")
        if to_pair:
            # Only match.ended reaches here with one of the pair erased (it names nobody):
            # the other is still told, without the name of the one who is gone.
            for person, other in ((volunteer, newcomer), (newcomer, volunteer)):
                if person is not None and person.address:
                    plan(
                        uow,
                        domain.match_email(template, fact.match_id, person, other, contact, key),
                    )
        if to_coordinator:
            coordinators = _coordinator(contact, group_id)
            plan(
                uow,
                domain.match_email(template, fact.match_id, coordinators, None, contact, key),
            )

    return handle
