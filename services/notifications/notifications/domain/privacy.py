"""The email that tells a person their data is erased: pure rules, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from notifications.domain import PlannedEmail

ERASURE_CONFIRMED = "erasure_confirmed"


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
