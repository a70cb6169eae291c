"""One handler per message type the events service consumes; routed by HANDLERS at the bottom."""

from __future__ import annotations

from sanctuary.contracts import DetailsChanged, PersonMoved, RegistrationRequested
from sanctuary.unit_of_work import Handler, UnitOfWork
from sqlalchemy import update

from events.adapters.models import Registration
from events.service_layer import registrations


def on_registration_requested(event: RegistrationRequested, uow: UnitOfWork) -> None:
    """Decide the request: a place, a queue position, or a rejection with the reason."""
    registrations.decide(uow, event)


def on_person_moved(fact: PersonMoved, uow: UnitOfWork) -> None:
    """The registrations a moved person made as themselves, and that were their old group's,
    are their new group's now: its coordinators see them, the old group's no longer."""
    column = Registration.volunteer_id if fact.kind == "volunteer" else Registration.newcomer_id
    uow.session.execute(
        update(Registration)
        .where(column == fact.person_id, Registration.group_id == fact.previous_group_id)
        .values(group_id=fact.group_id)
    )


def on_details_changed(change: DetailsChanged, uow: UnitOfWork) -> None:
    """A person corrected their name from their data page: their places carry the new one
    (the attendance list a coordinator prints). Nothing else a change holds is the events
    service's (ADR 0027)."""
    if change.name is not None and change.registration_ids:
        uow.session.execute(
            update(Registration)
            .where(Registration.id.in_(change.registration_ids))
            .values(name=change.name)
        )


HANDLERS: dict[str, Handler] = {
    RegistrationRequested.TYPE: on_registration_requested,
    PersonMoved.TYPE: on_person_moved,
    DetailsChanged.TYPE: on_details_changed,
}
