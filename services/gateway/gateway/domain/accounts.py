"""Coordinator accounts, pure: password hashes, personal tokens, sessions and who may act.

No framework here: the web and CLI layers pass in what they read and store what this
returns.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the library's current defaults (RFC 9106 low-memory profile); a stored hash
# made with other parameters is replaced at the next successful login.
HASHER = PasswordHasher()
# Checked against when the email is unknown, so an unknown email takes as long as a wrong
# password and the answer is the same.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "sct_"  # noqa: S105 (a prefix, recognisable by secret scanners)
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)

# The bootstrap credential (ADMIN_TOKEN) acts as nobody in particular.
BOOTSTRAP = "bootstrap"


class WeakPassword(ValueError):
    """The password is too short to be a coordinator's."""


def hash_password(password: str) -> str:
    """An argon2id hash of `password`; refuses one shorter than MIN_PASSWORD_LENGTH."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; with no hash (unknown email), False in the
    same time."""
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's."""
    return HASHER.check_needs_rehash(stored_hash)


def new_token() -> str:
    """A personal API token: shown once, never stored as such."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token has 256 random bits: no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def normalise_email(email: str) -> str:
    """The form an email is stored and looked up in."""
    return email.strip().lower()


class Access(Enum):
    """What a credential lets its bearer do."""

    ALLOWED = "allowed"
    UNKNOWN = "unknown"  # no such credential, revoked, or expired: 401
    DEACTIVATED = "deactivated"  # a real coordinator whose account is switched off: 403


@dataclass(frozen=True)
class Holder:
    """The coordinator behind a credential, as far as permissions go."""

    active: bool
    sessions_valid_after: datetime | None = None


def token_access(
    holder: Holder | None, revoked_at: datetime | None, expires_at: datetime | None, now: datetime
) -> Access:
    """A personal token's access: unknown, revoked or expired tokens are nobody's."""
    if holder is None or revoked_at is not None:
        return Access.UNKNOWN
    if expires_at is not None and now >= expires_at:
        return Access.UNKNOWN
    return Access.ALLOWED if holder.active else Access.DEACTIVATED


def session_access(
    holder: Holder | None, signed_in_at: datetime, last_seen_at: datetime, now: datetime
) -> Access:
    """A dashboard session's access: it ends after IDLE_TIMEOUT without a request, after
    SESSION_LIFETIME in all, and at logout (every session signed in before it)."""
    if holder is None:
        return Access.UNKNOWN
    if now - last_seen_at > IDLE_TIMEOUT or now - signed_in_at > SESSION_LIFETIME:
        return Access.UNKNOWN
    if holder.sessions_valid_after is not None and signed_in_at < holder.sessions_valid_after:
        return Access.UNKNOWN
    return Access.ALLOWED if holder.active else Access.DEACTIVATED


# Which route argument names the person or thing acted on, for the audit log.
TARGETS = {
    "volunteer_id": "volunteer",
    "newcomer_id": "newcomer",
    "match_id": "match",
    "event_id": "event",
    "registration_id": "registration",
    "delivery_id": "delivery",
    "token_id": "token",
    "coordinator_id": "coordinator",
    "person_id": "person",  # a volunteer or a newcomer: the route says which
    "erasure_id": "erasure",
    "concern_id": "concern",  # every opening of a case file, and every refusal (ADR 45)
}


def audit_target(arguments: dict[str, object]) -> tuple[str | None, str | None]:
    """The (type, id) a route's arguments name, or (None, None)."""
    for name, kind in TARGETS.items():
        if name in arguments:
            return kind, str(arguments[name])
    return None, None


def audit_action(endpoint: str, arguments: dict[str, object], *, dry_run: bool = False) -> str:
    """The action's name: the view's name, with the decision when the route carries one
    (`decide:approve`), and `:dry_run` for a call that only showed what it would do (a
    matching run that proposed nothing reads differently from one that did)."""
    name = endpoint.rpartition(".")[2]
    if "action" in arguments:
        name = f"{name}:{arguments['action']}"
    return f"{name}:dry_run" if dry_run else name
