"""Subject access in notifications (UK GDPR Art. 15 and 20): everything it holds about a
person as plain JSON: their rows, the emails to them or naming them, their unsubscribe
categories, the outbox rows about them; their ids and groups."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from sanctuary.erasure import Keys
from sanctuary.erasure_records import exported_row, outbox_about
from sanctuary.links import address_hash
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications import domain
from notifications.adapters.models import Delivery, Outbox, Unsubscribe
from notifications.service_layer.privacy import Found, find, partners_emails


def export(
    session: Session,
    secret: str,
    email: str | None,
    ids: Iterable[uuid.UUID | str],
) -> dict[str, Any]:
    """Everything notifications holds about the person as plain JSON (subject access): their
    rows, the emails to or about them, the unsubscribe categories of their address, the
    outbox rows about them; their ids and groups."""
    asked = Keys(
        frozenset(str(i) for i in ids),
        frozenset([address_hash(secret, email)] if email else []),
    )
    found = find(session, asked, secret)
    unsubscribes = session.scalars(
        select(Unsubscribe).where(Unsubscribe.address_hash.in_(found.keys.addresses))
    )
    records = {
        "people": [exported_row(p) for p in found.people],
        # Someone they referred: first name only, as a match partner.
        "referrals": [
            {"referrer_email": p.referrer_email, "first_name": domain.first_name(p.name)}
            for p in found.referrals
        ],
        "registrants": [exported_row(r) for r in found.registrants],
        "deliveries": [_delivery(d, found.keys, secret) for d in found.deliveries]
        + [_naming(d) for d in partners_emails(session, found.deliveries)],
        "unsubscribes": [exported_row(u, ["category", "created_at"]) for u in unsubscribes],
        "outbox": [
            {**exported_row(m, ["type", "created_at"]), "body": json.loads(m.body)}
            for m in outbox_about(session, Outbox, found.keys, secret)
        ],
    }
    return {"records": records, **_ids_and_groups(found)}


def _delivery(delivery: Delivery, keys: Keys, secret: str) -> dict[str, Any]:
    """An email to or about them: its address when it is theirs (not a referrer's)."""
    row: dict[str, Any] = exported_row(
        delivery, ["id", "template", "status", "created_at", "sent_at"]
    )
    own = bool(delivery.to_address) and address_hash(secret, delivery.to_address) in keys.addresses
    row["to_address"] = delivery.to_address if own else None
    row["subject"] = (delivery.rendered or {}).get("subject")
    return row


def _naming(delivery: Delivery) -> dict[str, Any]:
    """An email to the other person of their match that names them: what of them it holds
    (their first name), never the other person's address."""
    row: dict[str, Any] = exported_row(
        delivery, ["id", "template", "status", "created_at", "sent_at"]
    )
    return {**row, "to_address": None, "names_you_as": delivery.context.get("other")}


def _ids_and_groups(found: Found) -> dict[str, Any]:
    def of(kind: str) -> list[str]:
        return sorted(str(p.id) for p in found.people if p.kind == kind)

    groups = {p.group_id for p in found.people} | {r.group_id for r in found.registrants}
    return {
        "ids": {
            "volunteer_ids": of("volunteer"),
            "newcomer_ids": of("newcomer"),
            "registration_ids": sorted(str(r.registration_id) for r in found.registrants),
        },
        "group_ids": sorted(str(g) for g in groups if g is not None),
    }
