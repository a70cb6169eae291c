"""One handler per message type the events service consumes; routed by HANDLERS at the bottom."""

from __future__ import annotations

from sanctuary.contracts import RegistrationRequested
from sanctuary.unit_of_work import Handler, UnitOfWork

from events.service_layer import registrations


def on_registration_requested(event: RegistrationRequested, uow: UnitOfWork) -> None:
    """Decide the request: a place, a queue position, or a rejection with the reason."""
    registrations.decide(uow, event)


HANDLERS: dict[str, Handler] = {
    RegistrationRequested.TYPE: on_registration_requested,
}
