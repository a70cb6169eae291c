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

# The version of the words of the separate consent to use languages, gender and needs for
# matching (the forms' "special_consent" box, ADR 0029): change it whenever they change, so
# each stamp says what the person agreed to.
SPECIAL_CONSENT_VERSION = "2026-12-05"


def special_consent(form: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The stamp of the separate consent, when it was given: its time and its words' version."""
    if not form.get("special_consent"):
        return {"special_consent_at": None, "special_consent_version": None}
    return {"special_consent_at": now, "special_consent_version": SPECIAL_CONSENT_VERSION}


def volunteer_signed_up(
    volunteer_id: uuid.UUID, form: dict[str, Any], now: datetime
) -> VolunteerSignedUp:
    """The fact the gateway announces for a valid sign-up form; consent is stamped with `now`."""
    return VolunteerSignedUp(
        volunteer_id=volunteer_id,
        name=form["name"],
        email=form["email"],
        postcode=form["postcode"],
        languages=tuple(form.get("languages", ())),
        consented_at=now,
        **special_consent(form, now),
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
    fields = {k: v for k, v in form.items() if k not in ("consent", "group", "special_consent")}
    for listed in ("languages", "needs", "interests", "availability"):
        fields[listed] = tuple(fields.get(listed, ()))
    return NewcomerRequested(
        newcomer_id=newcomer_id, consented_at=now, **special_consent(form, now), **fields
    )


def public_status(owner_status: str | None) -> str:
    """`received` until the owning service knows the submission, then the owner's status."""
    return owner_status or SubmissionStatus.RECEIVED


# What the public can submit: each is a submission of this kind, with a status of its own.
KINDS = ("volunteer", "newcomer", "registration")


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
