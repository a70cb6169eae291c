"""Matching's pure rules: no database, broker or web framework here."""

from __future__ import annotations

from sanctuary.contracts import VolunteerRegistered, VolunteerSignedUp
from sanctuary.vocabulary import NewcomerStatus, VolunteerStatus

# Every volunteer starts here; checks by coordinators (references, screening, training) move
# them to "ready" (the matching issue) or "inactive".
INITIAL_STATUS = VolunteerStatus.APPLIED
# A newcomer waits until a run proposes a volunteer, a coordinator approves (matched), or
# the request is closed.
NEWCOMER_WAITING = NewcomerStatus.WAITING


def registration(signup: VolunteerSignedUp) -> VolunteerRegistered:
    """What matching announces once it holds a new volunteer."""
    return VolunteerRegistered(
        volunteer_id=signup.volunteer_id,
        name=signup.name,
        email=signup.email,
        status=INITIAL_STATUS,
        locale=signup.locale,
        group_id=signup.group_id,
    )
