"""People's rights over their data: an erasure asked for, and each service's answer.

Neither fact carries a name or an address: the person is named by ids and by `subject`, the
keyed hash of their normalised email (`sanctuary.links.address_hash`, under LINK_SECRET),
which each service can compute from what it holds but nobody can turn back into the address.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar

from marshmallow import fields, validate

from sanctuary import fields as f
from sanctuary.contracts.base import contract
from sanctuary.vocabulary import DEFAULT_LOCALE, EmailCategory, Locale

Subject = Annotated[
    str | None,
    lambda: fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$")
    ),
]
Ids = tuple[uuid.UUID, ...]
# What a service answers for: the four services, each one row of the completion matrix.
ServiceName = Annotated[
    str,
    lambda: fields.String(
        required=True, validate=validate.OneOf(("gateway", "matching", "events", "notifications"))
    ),
]


@contract
@dataclass(frozen=True, kw_only=True)
class ErasureRequested:
    """Erase this person everywhere (UK GDPR Art. 17): each service erases or anonymises what
    it holds about them, keeps a tombstone so nothing about them comes back, and answers
    `person.erased`."""

    TYPE: ClassVar[str] = "person.erasure_requested"
    VERSION: ClassVar[int] = 1

    erasure_id: uuid.UUID
    # The keyed hash of their email; None for a person without one (named by ids only).
    subject: Subject = None
    # Every id the gateway found for them (its outbox, matching's and events' records).
    volunteer_ids: Ids = ()
    newcomer_ids: Ids = ()
    registration_ids: Ids = ()
    # Ids of any of those kinds: an erasure announced again from a log that keeps them
    # together (`erasures reapply` after a restore from backup).
    ids: Ids = ()
    # A message about them accepted at the edge up to this time is void from now on.
    requested_at: datetime
    # Email them that it is done, when an address is held (a coordinator may say no).
    confirm: bool = True
    # Why, when no person asked for it: the retention schedule's rule (no personal data).
    # None: asked through the gateway, which recorded the reason itself.
    reason: Annotated[
        str | None,
        lambda: fields.String(
            load_default=None, allow_none=True, validate=validate.Length(max=200)
        ),
    ] = None


@contract
@dataclass(frozen=True, kw_only=True)
class PersonErased:
    """One service has erased what it held about the person: how many records of each kind,
    and what it keeps with the legal reason (never the data itself)."""

    TYPE: ClassVar[str] = "person.erased"
    VERSION: ClassVar[int] = 1

    erasure_id: uuid.UUID
    service: ServiceName
    counts: dict[str, int] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    erased_at: datetime


@contract
@dataclass(frozen=True, kw_only=True)
class DataLinkRequested:
    """Someone asked at /my-data for a link to the data held about this address: notifications
    emails it (made from the id with LINK_SECRET when sending: no token travels) if it holds
    the address, and sends nothing otherwise, so the page never says who is registered."""

    TYPE: ClassVar[str] = "person.data_link_requested"
    VERSION: ClassVar[int] = 1

    link_id: uuid.UUID
    email: Annotated[str, f.email]
    locale: Locale = DEFAULT_LOCALE
    expires_at: datetime


def _unchanged(made: Callable[[], fields.Field[Any]]) -> Callable[[], fields.Field[Any]]:
    """A detail a change may leave as it is: absent or null."""
    return lambda: f.optional(made(), null=True)


@contract
@dataclass(frozen=True, kw_only=True)
class DetailsChanged:
    """A person corrected their details (UK GDPR Art. 16), paused or resumed (Art. 18), or
    chose which optional emails they get, from their own data page. Each service applies what
    it holds of it to the rows with these ids; None leaves a detail as it is."""

    TYPE: ClassVar[str] = "person.details_changed"
    VERSION: ClassVar[int] = 1
    # Who it is about: their ids (a change naming an erased id is dropped, sanctuary.erasure).
    SUBJECT: ClassVar[tuple[str, ...]] = ("volunteer_ids", "newcomer_ids", "registration_ids")

    change_id: uuid.UUID
    # The keyed hash of their email: whose email preferences these are.
    subject: Subject = None
    volunteer_ids: Ids = ()
    newcomer_ids: Ids = ()
    registration_ids: Ids = ()
    name: Annotated[str | None, _unchanged(f.name)] = None
    postcode: Annotated[str | None, _unchanged(f.Postcode)] = None
    languages: Annotated[tuple[str, ...] | None, _unchanged(f.languages)] = None
    availability: Annotated[tuple[tuple[str, str], ...] | None, _unchanged(f.availability)] = None
    # True: not proposed (a volunteer) or not matched (a newcomer) until False again.
    paused: bool | None = None
    # False: they withdraw the consent to use their languages, gender and needs for
    # matching (ADR 0029): every service removes them.
    special_consent: bool | None = None
    # The optional email categories they do not want (every other one they do).
    emails_stopped: tuple[EmailCategory, ...] | None = None
    changed_at: datetime
