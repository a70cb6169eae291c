"""The secrets a test run's processes share: long and random enough to pass the check every
process makes at start (sanctuary.config.secret), and never a value anything ships with."""

from __future__ import annotations

import secrets

TEST_SECRETS = {
    "INTERNAL_TOKEN": f"test-internal-{secrets.token_urlsafe(16)}",
    "LINK_SECRET": f"test-link-{secrets.token_urlsafe(16)}",
}


def with_secrets(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` with the run's secrets under it (what `env` sets wins)."""
    return {**TEST_SECRETS, **(env or {})}
