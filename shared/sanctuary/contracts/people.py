"""Volunteers and newcomers: sign-ups, requests, registration in matching, checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates_schema

from sanctuary import fields as f
from sanctuary.contracts.base import DEFAULT_LOCALE, ContractSchema, locale_field

# --- volunteer.signed_up: the gateway accepted a volunteer's sign-up --------------------------


Slot = tuple[str, str]  # ("sat", "morning")


@dataclass(frozen=True)
class VolunteerSignedUp:
    """A person signed up online to volunteer as a befriender: what matching needs, no more."""

    TYPE: ClassVar[str] = "volunteer.signed_up"
    VERSION: ClassVar[int] = 2  # 2 added the matching fields; version 1 bodies load with defaults

    volunteer_id: uuid.UUID
    name: str
    email: str
    postcode: str
    languages: tuple[str, ...]
    consented_at: datetime
    availability: tuple[Slot, ...] = ()
    interests: tuple[str, ...] = ()
    gender: str | None = None
    same_gender_only: bool = False
    max_matches: int = 1
    has_dbs: bool = False
    locale: str = DEFAULT_LOCALE


class VolunteerSignedUpSchema(ContractSchema):
    message_class = VolunteerSignedUp

    volunteer_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    postcode = f.Postcode(required=True)
    languages = f.languages()
    consented_at = fields.AwareDateTime(required=True)
    availability = f.availability(required=False)
    interests = f.tags()
    gender = f.gender()
    same_gender_only = fields.Boolean(load_default=False)
    max_matches = fields.Integer(load_default=1, validate=validate.Range(1, 3))
    has_dbs = fields.Boolean(load_default=False)
    locale = locale_field()


# --- newcomer.requested: someone asked for a befriender ---------------------------------------


@dataclass(frozen=True)
class NewcomerRequested:
    """A newcomer (or a support worker for them) asked for a befriender."""

    TYPE: ClassVar[str] = "newcomer.requested"
    VERSION: ClassVar[int] = 1

    newcomer_id: uuid.UUID
    name: str
    email: str | None
    referrer_email: str | None
    postcode: str
    languages: tuple[str, ...]
    wants_english_practice: bool
    needs: tuple[str, ...]
    interests: tuple[str, ...]
    availability: tuple[Slot, ...]
    gender: str | None
    same_gender_only: bool
    needs_dbs: bool
    consented_at: datetime
    locale: str = DEFAULT_LOCALE


class NewcomerRequestedSchema(ContractSchema):
    message_class = NewcomerRequested

    newcomer_id = fields.UUID(required=True)
    name = f.name()
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    referrer_email = fields.Email(
        load_default=None, allow_none=True, validate=validate.Length(max=254)
    )
    postcode = f.Postcode(required=True)
    languages = f.languages()
    wants_english_practice = fields.Boolean(load_default=False)
    needs = f.tags()
    interests = f.tags()
    availability = f.availability()
    gender = f.gender()
    same_gender_only = fields.Boolean(load_default=False)
    needs_dbs = fields.Boolean(load_default=False)
    consented_at = fields.AwareDateTime(required=True)
    locale = locale_field()

    @validates_schema
    def _someone_to_write_to(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("email") and not data.get("referrer_email"):
            raise ValidationError("Give an email or a referrer_email.", "email")


# --- volunteer.registered: matching now holds the volunteer ----------------------------------

VOLUNTEER_STATUSES = ("applied", "ready", "inactive")


@dataclass(frozen=True)
class VolunteerRegistered:
    """The matching service recorded a volunteer. Name and email are here for the welcome email."""

    TYPE: ClassVar[str] = "volunteer.registered"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    name: str
    email: str
    status: str
    locale: str = DEFAULT_LOCALE


class VolunteerRegisteredSchema(ContractSchema):
    message_class = VolunteerRegistered

    volunteer_id = fields.UUID(required=True)
    name = f.name()
    email = f.email()
    status = fields.String(required=True, validate=validate.OneOf(VOLUNTEER_STATUSES))
    locale = locale_field()


# --- volunteer.checks_recorded: a coordinator (or training) changed a volunteer's checks -----

CHECKS = {
    "references": ("pending", "verified"),
    "screening": ("pending", "passed", "failed"),
    "dbs": ("none", "held"),
    "training": ("pending", "completed"),
}


@dataclass(frozen=True)
class VolunteerChecksRecorded:
    """A volunteer's checks now stand like this, and so does their status."""

    TYPE: ClassVar[str] = "volunteer.checks_recorded"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    references: str
    screening: str
    dbs: str
    training: str
    status: str
    previous_status: str


class VolunteerChecksRecordedSchema(ContractSchema):
    message_class = VolunteerChecksRecorded

    volunteer_id = fields.UUID(required=True)
    references = fields.String(required=True, validate=validate.OneOf(CHECKS["references"]))
    screening = fields.String(required=True, validate=validate.OneOf(CHECKS["screening"]))
    dbs = fields.String(required=True, validate=validate.OneOf(CHECKS["dbs"]))
    training = fields.String(required=True, validate=validate.OneOf(CHECKS["training"]))
    status = fields.String(required=True, validate=validate.OneOf(VOLUNTEER_STATUSES))
    previous_status = fields.String(required=True, validate=validate.OneOf(VOLUNTEER_STATUSES))


# --- volunteer.readiness_changed: what a volunteer still needs before matching ---------------

# The checks a volunteer must clear to be matched, in the order the emails list them.
READINESS_CHECKS = ("references", "screening", "training")


@dataclass(frozen=True)
class VolunteerReadinessChanged:
    """A volunteer's readiness moved: now ready to be matched, or still missing these checks.
    Ids and check names only: notifications knows where to write."""

    TYPE: ClassVar[str] = "volunteer.readiness_changed"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    status: str
    missing: tuple[str, ...]


class VolunteerReadinessChangedSchema(ContractSchema):
    message_class = VolunteerReadinessChanged

    volunteer_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("applied", "ready")))
    missing = fields.List(fields.String(validate=validate.OneOf(READINESS_CHECKS)), required=True)
