"""A match paused under a safeguarding concern (ADR 45), by the gateway for the group's lead:
no check-ins go, and its volunteer is proposed to nobody else, until it is resumed. The
match is not ended, and the pair are not told (the lead speaks to them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sanctuary.unit_of_work import UnitOfWork

from matching.adapters.models import Match, Volunteer
from matching.domain import lifecycle
from matching.domain.groups import Scope
from matching.service_layer import views


def pause(uow: UnitOfWork, match_id: uuid.UUID, paused: bool, scope: Scope = None) -> Match:
    """Pause (or resume) an open match; a closed one cannot be (IllegalTransition: 409)."""
    match = views.match(uow.session, match_id, scope, lock=True)
    if match.status not in lifecycle.OPEN:
        raise lifecycle.IllegalTransition(f"a match that is {match.status} cannot be paused")
    if paused and match.paused_at is None:
        # The volunteer's row too: a run proposing them waits, then sees the pause.
        uow.session.get(Volunteer, match.volunteer_id, with_for_update=True)
        match.paused_at = datetime.now(UTC)
    elif not paused:
        match.paused_at = None
    return match
