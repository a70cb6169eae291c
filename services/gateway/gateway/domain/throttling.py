"""How signing in slows a guesser down (ADR 32): by account and client, never a lock-out.

Ten wrong passwords from anywhere used to lock an account for 15 minutes, so anyone could
lock a coordinator out. Now each (account, client) pair has its own count: five failures
are free, then each further try must wait twice as long as the one before (1 s, 2 s, 4 s,
... at most 15 minutes), and a day without a failure forgets them. Another client, such as
the coordinator's own, is not slowed; a success clears the pair. One client trying many
accounts is limited apart (the dashboard's per-address limit).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

FREE_FAILURES = 5
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)


def wait_after(failures: int) -> timedelta:
    """How long a pair with this many failures waits after the last one before trying again."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), LONGEST_WAIT)


def remembered(failures: int, last_failure_at: datetime, now: datetime) -> int:
    """The failures that still count: none after a day without one."""
    return 0 if now - last_failure_at >= FORGET_AFTER else failures


def next_try_at(failures: int, last_failure_at: datetime, now: datetime) -> datetime | None:
    """When the pair may try again, if that is later than `now`; None if it may now."""
    at = last_failure_at + wait_after(remembered(failures, last_failure_at, now))
    return at if at > now else None


def client_key(secret: str, address: str) -> str:
    """The client as stored: a keyed hash of its address (an address is personal data, and
    IPv4's are too few for a plain hash to hide)."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()
