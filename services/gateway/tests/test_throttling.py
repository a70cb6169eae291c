"""The sign-in slow-down's rules (ADR 32) and the database the limits are counted in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.adapters.rate_limits import DatabaseStorage
from gateway.domain import throttling
from gateway.entrypoints.web import create_app

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_five_failures_are_free_then_each_wait_doubles_up_to_a_quarter_hour() -> None:
    waits = [throttling.wait_after(n).total_seconds() for n in range(4, 17)]
    assert waits == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert throttling.wait_after(10_000) == timedelta(minutes=15)


def test_the_next_try_is_after_the_wait_and_a_quiet_day_forgets_everything() -> None:
    last = NOW - timedelta(seconds=3)
    assert throttling.next_try_at(4, last, NOW) is None
    assert throttling.next_try_at(7, last, NOW) == last + timedelta(seconds=4)
    assert throttling.next_try_at(6, last, NOW) is None  # 2 s have passed
    a_day_ago = NOW - timedelta(days=1)
    assert throttling.remembered(40, a_day_ago, NOW) == 0
    assert throttling.next_try_at(40, a_day_ago, NOW) is None


def test_a_client_is_stored_as_a_keyed_hash_of_its_address() -> None:
    key = throttling.client_key("secret", "address:192.0.2.66")
    assert len(key) == 64
    assert "192.0.2" not in key
    assert key != throttling.client_key("another secret", "address:192.0.2.66")


def test_the_public_limit_is_kept_in_the_database_across_a_restart(
    make_app: Callable[..., Any],
) -> None:
    """Issue 16, point 3: without Redis the counts are the gateway's database's, so a web
    process started again (a killed worker) still refuses the client that used them up."""
    app = make_app(public_rate_limit="2/minute")
    client = app.test_client()
    assert [client.post("/api/v1/volunteers", json={}).status_code for _ in range(3)] == [
        422,
        422,
        429,
    ]
    again = create_app(app.extensions["service"].config).test_client()
    assert again.post("/api/v1/volunteers", json={}).status_code == 429
    assert again.post("/api/v1/newcomers", json={}).status_code == 429


def test_the_database_storage_counts_in_windows(make_app: Callable[..., Any]) -> None:
    storage = DatabaseStorage(engine=make_app().extensions["service"].engine)
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.incr("short", -1) == 1  # a window that has already ended...
    assert storage.get("short") == 0  # ...counts nothing
    assert storage.incr("short", 60) == 1  # and the next hit opens a new one
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.check()
