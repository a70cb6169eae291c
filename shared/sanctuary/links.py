"""Secret links in emails (cancel a registration, accept an invitation to coordinate),
verifiable without storing the secret.

The token is an HMAC of the registration id under LINK_SECRET, which the events service (to
check it) and the notifications service (to put it in the email) share. No token travels
through the broker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


def address_hash(secret: str, address: str) -> str:
    """An address as a keyed hash of its normalised form: how the unsubscribe list keeps it,
    and how an erased person's address is named (the `subject` of an erasure, a tombstone)."""
    normal = address.strip().lower()
    return hmac.new(secret.encode(), f"address:{normal}".encode(), hashlib.sha256).hexdigest()


def cancel_token(secret: str, registration_id: uuid.UUID) -> str:
    """The token of the cancel link for one registration."""
    digest = hmac.new(secret.encode(), f"cancel:{registration_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


def is_cancel_token(secret: str, registration_id: uuid.UUID, token: str) -> bool:
    """Whether `token` is the registration's cancel token (in constant time)."""
    return hmac.compare_digest(cancel_token(secret, registration_id).encode(), token.encode())


def invitation_token(secret: str, invitation_id: uuid.UUID) -> str:
    """The token of the link that accepts one invitation to coordinate."""
    digest = hmac.new(secret.encode(), f"invitation:{invitation_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


def is_invitation_token(secret: str, invitation_id: uuid.UUID, token: str) -> bool:
    """Whether `token` is the invitation's token (in constant time)."""
    return hmac.compare_digest(invitation_token(secret, invitation_id).encode(), token.encode())


def _signed_id(secret: str, purpose: str, value: uuid.UUID) -> str:
    """`<id>.<hmac>`: a token that names its id and that only LINK_SECRET can make."""
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return f"{value}.{base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip('=')}"


def _id_of(secret: str, purpose: str, token: str) -> uuid.UUID | None:
    """The id a `_signed_id` token names, if we made it; None for anything else."""
    head, _, _ = token.partition(".")
    try:
        value = uuid.UUID(head)
    except ValueError:
        return None
    made = _signed_id(secret, purpose, value)
    return value if hmac.compare_digest(made.encode(), token.encode()) else None


def data_link_token(secret: str, link_id: uuid.UUID) -> str:
    """The token of the emailed link to a person's own data (/my-data/<token>)."""
    return _signed_id(secret, "my-data", link_id)


def data_link_id(secret: str, token: str) -> uuid.UUID | None:
    """The link id a /my-data token names; None when we did not make it."""
    return _id_of(secret, "my-data", token)


def erasure_status_token(secret: str, erasure_id: uuid.UUID) -> str:
    """The token of a person's own erasure status page (/my-data/erasures/<token>)."""
    return _signed_id(secret, "erasure-status", erasure_id)


def erasure_status_id(secret: str, token: str) -> uuid.UUID | None:
    """The erasure id a status token names; None when we did not make it."""
    return _id_of(secret, "erasure-status", token)
