"""The privacy emails: the one that tells a person their data is erased, and the one that
carries the link to their own data (/my-data). Pure rules, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sanctuary.contracts import DataLinkRequested

from notifications.domain import PlannedEmail, local_time

ERASURE_CONFIRMED = "erasure_confirmed"
MY_DATA_LINK = "my_data_link"
# How the link's expiry reads: the network's own timezone, as the invitation's does.
LINK_ZONE = "Europe/London"


@dataclass(frozen=True)
class Reader:
    """Who the confirmation goes to, as the erased rows said, read before they went: their
    own address (never a referrer's), name, language, group and kind."""

    address: str
    name: str
    locale: str
    group_id: uuid.UUID | None
    kind: str


def confirmation_key(erasure_id: uuid.UUID | str) -> str:
    """The dedupe key of an erasure's confirmation: one email an erasure."""
    return f"{ERASURE_CONFIRMED}:{erasure_id}"


def confirmation(erasure_id: uuid.UUID, reader: Reader, unsubscribed: bool) -> PlannedEmail:
    """The last email: their data is erased everywhere, what is kept and why, and whom to
    write to (the group's contact, which the template names)."""
    return PlannedEmail(
        template=ERASURE_CONFIRMED,
        dedupe_key=confirmation_key(erasure_id),
        to_address=reader.address,
        locale=reader.locale,
        context={
            "name": reader.name,
            # "Hello," when no name is known (the layout's greeting for a referral).
            "referred": not reader.name,
            # The body names the contact itself: the layout's footer is left out, as in the
            # match emails.
            "role": reader.kind,
            "unsubscribed": unsubscribed,
        },
        group_id=reader.group_id,
    )


@dataclass(frozen=True)
class Holder:
    """Whom an address belongs to, as notifications holds it: the name to greet ("" when
    unknown) and the group that signs their emails (None: the network's)."""

    name: str
    group_id: uuid.UUID | None


def link_expired(fact: DataLinkRequested, now: datetime) -> bool:
    """Whether the link asked for has expired before its email was planned: none is sent."""
    return bool(fact.expires_at <= now)


def data_link(fact: DataLinkRequested, holder: Holder) -> PlannedEmail:
    """The email with the link to their own data (made when sending, from `link_id`): to
    exactly the address asked about, in the language asked in, once a request."""
    return PlannedEmail(
        template=MY_DATA_LINK,
        dedupe_key=f"{MY_DATA_LINK}:{fact.link_id}",
        to_address=fact.email.strip().lower(),
        locale=fact.locale,
        context={
            "name": holder.name,
            "referred": not holder.name,  # "Hello," when no name is known
            "link_id": str(fact.link_id),
            "expires_at": fact.expires_at.isoformat(),
            "expires": local_time(fact.expires_at, LINK_ZONE, fact.locale),
        },
        group_id=holder.group_id,
    )
