"""One handler per message type the events service consumes; routed by HANDLERS at the bottom."""

from __future__ import annotations

from sanctuary.consumer import Context, Handler
from sanctuary.contracts import RegistrationRequested

from events import registrations


def on_registration_requested(event: RegistrationRequested, ctx: Context) -> None:
    """Decide the request: a place, a queue position, or a rejection with the reason."""
    registrations.decide(ctx.session, event, ctx.publish)


HANDLERS: dict[str, Handler] = {
    RegistrationRequested.TYPE: on_registration_requested,
}
