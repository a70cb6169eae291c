"""Volunteers and newcomers: sign-ups, requests, registration in matching, checks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar

from marshmallow import ValidationError, fields, validate

from sanctuary import fields as f
from sanctuary.contracts.base import Word, contract
from sanctuary.vocabulary import (
    CHECK_OUTCOMES,
    DATED,
    DEFAULT_LOCALE,
    READY_WHEN,
    Check,
    CheckOutcome,
    Locale,
    VolunteerStatus,
)

Slot = tuple[str, str]  # ("sat", "morning")
KINDS = ("volunteer", "newcomer")  # the people matching holds
Name = Annotated[str, f.name]
Email = Annotated[str, f.email]
Postcode = Annotated[str, lambda: f.Postcode(required=True)]
Tags = Annotated[tuple[str, ...], f.tags]
Gender = Annotated[str | None, f.gender]
# Languages, gender and needs are special-category data (they can reveal ethnicity, religion
# or health): they travel only with the separate consent to use them for matching, stamped
# with its time and the version of the words the person agreed to (ADR 0029). Without it a
# sign-up or a request carries none of them. (Bodies from before that consent existed carry
# languages and no stamp: they were given under the one consent the form asked then.)
SpecialLanguages = Annotated[tuple[str, ...], lambda: f.languages(required=False)]
ConsentVersion = Annotated[
    str | None,
    lambda: fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40)),
]


def _optional_email() -> fields.Email:
    return fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


# --- volunteer.signed_up: the gateway accepted a volunteer's sign-up --------------------------


@contract
@dataclass(frozen=True, kw_only=True)
class VolunteerSignedUp:
    """A person signed up online to volunteer as a befriender: what matching needs, no more."""

    TYPE: ClassVar[str] = "volunteer.signed_up"
    VERSION: ClassVar[int] = 2  # 2 added the matching fields; version 1 bodies load with defaults

    volunteer_id: uuid.UUID
    name: Name
    email: Email
    postcode: Postcode
    languages: SpecialLanguages = ()
    consented_at: datetime
    special_consent_at: datetime | None = None
    special_consent_version: ConsentVersion = None
    availability: Annotated[tuple[Slot, ...], lambda: f.availability(required=False)] = ()
    interests: Tags = ()
    gender: Gender = None
    same_gender_only: bool = False
    max_matches: Annotated[
        int, lambda: fields.Integer(load_default=1, validate=validate.Range(1, 3))
    ] = 1
    has_dbs: bool = False
    locale: Locale = DEFAULT_LOCALE
    # Their local group; None when no group covers their postcode yet (the network's list).
    group_id: uuid.UUID | None = None


# --- newcomer.requested: someone asked for a befriender ---------------------------------------

# A request must say how to reach the newcomer: the API and the form say it in these words.
REACH_THEM = "Give an email, a phone number or a referrer_email (at least one)."


@contract
@dataclass(frozen=True, kw_only=True)
class NewcomerRequested:
    """A newcomer (or a support worker for them) asked for a befriender."""

    TYPE: ClassVar[str] = "newcomer.requested"
    VERSION: ClassVar[int] = 2  # 2 added `phone`; a version 1 body loads with none
    # The newcomer (sanctuary.erasure): their referrer erased is not theirs.
    SUBJECT: ClassVar[tuple[str, ...]] = ("newcomer_id", "email")

    newcomer_id: uuid.UUID
    name: Name
    email: Annotated[str | None, _optional_email] = None
    # E.164; for a newcomer with no email, a coordinator calls them (ADR 0039).
    phone: Annotated[str | None, f.phone] = None
    referrer_email: Annotated[str | None, _optional_email] = None
    postcode: Postcode
    languages: SpecialLanguages = ()
    wants_english_practice: bool = False
    needs: Tags = ()
    interests: Tags = ()
    availability: Annotated[tuple[Slot, ...], f.availability]
    gender: Gender = None
    same_gender_only: bool = False
    needs_dbs: bool = False
    consented_at: datetime
    special_consent_at: datetime | None = None
    special_consent_version: ConsentVersion = None
    locale: Locale = DEFAULT_LOCALE
    # Their local group; None when no group covers their postcode yet (the network's list).
    group_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if not (self.email or self.phone or self.referrer_email):
            raise ValidationError(REACH_THEM, "email")


# --- volunteer.registered: matching now holds the volunteer ----------------------------------


@contract
@dataclass(frozen=True, kw_only=True)
class VolunteerRegistered:
    """The matching service recorded a volunteer. Name and email are here for the welcome email."""

    TYPE: ClassVar[str] = "volunteer.registered"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    name: Name
    email: Email
    status: VolunteerStatus
    locale: Locale = DEFAULT_LOCALE
    # Their local group; None when no group covers their postcode yet (the network's list).
    group_id: uuid.UUID | None = None


# --- volunteer.checks_recorded: a coordinator (or training) changed a volunteer's checks -----


def _outcome(check: Check) -> Callable[[], fields.Field[Any]]:
    """The outcomes `check` can show: a coordinator's, or `lapsed` for one that ran out."""
    allowed = CHECK_OUTCOMES[check] + ((CheckOutcome.LAPSED,) if check in DATED else ())
    return lambda: Word(
        CheckOutcome, by_value=True, required=True, validate=validate.OneOf(allowed)
    )


@contract
@dataclass(frozen=True, kw_only=True)
class VolunteerChecksRecorded:
    """A volunteer's checks now stand like this, and so does their status."""

    TYPE: ClassVar[str] = "volunteer.checks_recorded"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    references: Annotated[CheckOutcome, _outcome(Check.REFERENCES)]
    screening: Annotated[CheckOutcome, _outcome(Check.SCREENING)]
    dbs: Annotated[CheckOutcome, _outcome(Check.DBS)]
    training: Annotated[CheckOutcome, _outcome(Check.TRAINING)]
    status: VolunteerStatus
    previous_status: VolunteerStatus
    # The local group it concerns (the pair's, the volunteer's); None: no local group yet.
    group_id: uuid.UUID | None = None


# --- volunteer.readiness_changed: what a volunteer still needs before matching ---------------


@contract
@dataclass(frozen=True, kw_only=True)
class VolunteerReadinessChanged:
    """A volunteer's readiness moved: now ready to be matched, or still missing these checks.
    Ids and check names only: notifications knows where to write."""

    TYPE: ClassVar[str] = "volunteer.readiness_changed"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    status: Annotated[
        VolunteerStatus,
        lambda: Word(
            VolunteerStatus,
            by_value=True,
            required=True,
            validate=validate.OneOf((VolunteerStatus.APPLIED, VolunteerStatus.READY)),
        ),
    ]
    missing: Annotated[
        tuple[Check, ...],
        lambda: fields.List(
            # READY_WHEN's checks, and a dated check that ran out (ADR 44).
            Word(Check, by_value=True, validate=validate.OneOf((*READY_WHEN, *DATED))),
            required=True,
        ),
    ]
    # The local group it concerns (the pair's, the volunteer's); None: no local group yet.
    group_id: uuid.UUID | None = None


# --- person.moved: a coordinator moved a volunteer or a newcomer to another group ------------


@contract
@dataclass(frozen=True, kw_only=True)
class PersonMoved:
    """A volunteer or a newcomer now belongs to another local group (they moved city): their
    emails are signed by it from now on. Ids only."""

    TYPE: ClassVar[str] = "person.moved"
    VERSION: ClassVar[int] = 1

    person_id: uuid.UUID
    kind: Annotated[
        str,
        lambda: fields.String(required=True, validate=validate.OneOf(("volunteer", "newcomer"))),
    ]
    group_id: uuid.UUID
    previous_group_id: uuid.UUID | None = None
