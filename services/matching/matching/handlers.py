"""One handler per message type matching consumes; routed by HANDLERS at the bottom."""

from __future__ import annotations

from datetime import UTC, datetime

from sanctuary.consumer import Context, Handler
from sanctuary.contracts import VolunteerSignedUp

from matching import domain
from matching.models import Volunteer


def on_volunteer_signed_up(event: VolunteerSignedUp, ctx: Context) -> None:
    """Record the new volunteer as applied and announce volunteer.registered."""
    if ctx.session.get(Volunteer, event.volunteer_id) is not None:
        return  # the same sign-up under another message id: already recorded and announced
    ctx.session.add(
        Volunteer(
            id=event.volunteer_id,
            name=event.name,
            email=event.email,
            postcode=event.postcode,
            languages=list(event.languages),
            status=domain.INITIAL_STATUS,
            consented_at=event.consented_at,
            registered_at=datetime.now(UTC),
        )
    )
    ctx.publish(domain.registration(event))


HANDLERS: dict[str, Handler] = {
    VolunteerSignedUp.TYPE: on_volunteer_signed_up,
}
