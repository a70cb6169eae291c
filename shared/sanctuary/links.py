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
