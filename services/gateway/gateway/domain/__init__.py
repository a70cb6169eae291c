"""The gateway's pure rules: what an accepted sign-up announces, and the status a person sees."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sanctuary.contracts import (
    NewcomerRequested,
    RegistrationRequested,
    VolunteerSignedUp,
)
from sanctuary.vocabulary import DEFAULT_LOCALE, SubmissionStatus


def volunteer_signed_up(
    volunteer_id: uuid.UUID, form: dict[str, Any], now: datetime
) -> VolunteerSignedUp:
    """The fact the gateway announces for a valid sign-up form; consent is stamped with `now`."""
    return VolunteerSignedUp(
        volunteer_id=volunteer_id,
        name=form["name"],
        email=form["email"],
        postcode=form["postcode"],
        languages=tuple(form["languages"]),
        consented_at=now,
        availability=tuple(form["availability"]),
        interests=tuple(form["interests"]),
        gender=form["gender"],
        same_gender_only=form["same_gender_only"],
        max_matches=form["max_matches"],
        has_dbs=form["has_dbs"],
        locale=form.get("locale", DEFAULT_LOCALE),
        group_id=form.get("group_id"),
    )


def newcomer_requested(
    newcomer_id: uuid.UUID, form: dict[str, Any], now: datetime
) -> NewcomerRequested:
    """The fact the gateway announces for a valid request for a befriender."""
    fields = {k: v for k, v in form.items() if k not in ("consent", "group")}
    for listed in ("languages", "needs", "interests", "availability"):
        fields[listed] = tuple(fields[listed])
    return NewcomerRequested(newcomer_id=newcomer_id, consented_at=now, **fields)


def public_status(owner_status: str | None) -> str:
    """`received` until the owning service knows the submission, then the owner's status."""
    return owner_status or SubmissionStatus.RECEIVED


def status_url(kind: str, submission_id: uuid.UUID) -> str:
    """Where the person polls for the status of what they submitted."""
    return f"/api/v1/{kind}s/{submission_id}"


def registration_requested(
    registration_id: uuid.UUID, event_id: uuid.UUID, form: dict[str, Any], now: datetime
) -> RegistrationRequested:
    """The fact the gateway announces for a request for a place at an event."""
    return RegistrationRequested(
        registration_id=registration_id,
        event_id=event_id,
        name=form["name"],
        email=form["email"],
        requested_at=now,
        volunteer_id=form["volunteer_id"],
        newcomer_id=form["newcomer_id"],
        locale=form.get("locale", DEFAULT_LOCALE),
        group_id=form.get("group_id"),
    )
