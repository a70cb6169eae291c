"""A person's own changes from their data page (ADR 0027): the name their emails greet them by
and which optional emails they get. Nothing here logs a name or an address."""

from __future__ import annotations

from sanctuary.contracts import DetailsChanged
from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import update

from notifications.adapters.models import Person, Registrant
from notifications.service_layer import unsubscribes


def on_details_changed(change: DetailsChanged, uow: UnitOfWork) -> None:
    """Greet them by the corrected name from now on; stop or restart optional emails."""
    if change.name is not None:
        people = (*change.volunteer_ids, *change.newcomer_ids)
        for model, column, ids in (
            (Person, Person.id, people),
            (Registrant, Registrant.registration_id, change.registration_ids),
        ):
            if ids:
                uow.session.execute(update(model).where(column.in_(ids)).values(name=change.name))
    if change.emails_stopped is not None and change.subject is not None:
        unsubscribes.choose(uow, change.subject, change.emails_stopped)
