"""The secret links an email carries (cancel a place, accept an invitation, open one's own
data, unsubscribe): made with LINK_SECRET when sending, never stored or queued; an
unsubscribe link names no address, only its keyed hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Any

from sanctuary.links import address_hash, cancel_token, data_link_token, invitation_token

from notifications.domain import OPTIONAL_CATEGORIES


def secret_links(
    template: str, context: dict[str, Any], to_address: str, *, secret: str, base_url: str
) -> dict[str, str]:
    """The links an email carries that only LINK_SECRET can make: `cancel_url` for a
    registration's emails, `invitation_url` for an invitation to coordinate, `my_data_url`
    for the link to a person's own data, `unsubscribe_url` for an optional category's. Made
    when sending, never stored, never queued."""
    links = {}
    if "registration_id" in context:
        registration_id = uuid.UUID(context["registration_id"])
        token = cancel_token(secret, registration_id)
        links["cancel_url"] = f"{base_url}/registrations/{registration_id}/cancel?token={token}"
    if "invitation_id" in context:
        invitation_id = uuid.UUID(context["invitation_id"])
        token = invitation_token(secret, invitation_id)
        links["invitation_url"] = f"{base_url}/coordinator/invitations/{invitation_id}/{token}"
    if "link_id" in context:
        token = data_link_token(secret, uuid.UUID(context["link_id"]))
        links["my_data_url"] = f"{base_url}/my-data/{token}"
    if "match_id" in context:  # not secret: the page names what a concern is about (ADR 45)
        links["concern_url"] = f"{base_url}/concern?about=match&id={uuid.UUID(context['match_id'])}"
    if "concern_id" in context:  # not secret (the leads sign in), but made with the base URL
        links["case_url"] = f"{base_url}/coordinator/concerns/{uuid.UUID(context['concern_id'])}"
    category = OPTIONAL_CATEGORIES.get(template)
    if category:
        links["unsubscribe_url"] = (
            f"{base_url}/unsubscribe/{unsubscribe_token(secret, to_address, category)}"
        )
    return links


def link_marks(delivery_id: uuid.UUID, template: str, context: dict[str, Any]) -> dict[str, str]:
    """What the worker renders in place of each secret link, for the mailer to replace: the
    same names as `secret_links`, each a URL no name or title could hold by chance (it has the
    delivery's random id)."""
    names = ["cancel_url"] if "registration_id" in context else []
    if "invitation_id" in context:
        names.append("invitation_url")
    if "link_id" in context:
        names.append("my_data_url")
    if "match_id" in context:
        names.append("concern_url")
    if "concern_id" in context:
        names.append("case_url")
    if template in OPTIONAL_CATEGORIES:
        names.append("unsubscribe_url")
    return {name: f"https://link.invalid/{delivery_id}/{name}" for name in names}


def unsubscribe_token(secret: str, address: str, category: str) -> str:
    """`<category>.<address hash>.<signature>`: the link carries no address, and only we can
    make one."""
    body = f"{category}.{address_hash(secret, address)}"
    return f"{body}.{_signature(secret, body)}"


def unsubscribe_request(secret: str, token: str) -> tuple[str, str] | None:
    """(address hash, category) from a token we made; None for anything else."""
    body, _, signature = token.rpartition(".")
    category, _, hashed = body.partition(".")
    if category not in OPTIONAL_CATEGORIES.values() or len(hashed) != 64:
        return None
    if not hmac.compare_digest(_signature(secret, body).encode(), signature.encode()):
        return None
    return hashed, category


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe:{body}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()
