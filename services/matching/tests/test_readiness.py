"""What a volunteer is told about their readiness: pure rules."""

from __future__ import annotations

import pytest
from matching.domain import lifecycle

FRESH = {"references": "pending", "screening": "pending", "dbs": "none", "training": "pending"}
CLEARED = {"references": "verified", "screening": "passed", "training": "completed"}


def test_a_new_volunteer_is_missing_every_check_but_dbs() -> None:
    assert lifecycle.readiness(FRESH, "applied") == (
        "applied",
        ("references", "screening", "training"),
    )


@pytest.mark.parametrize("dbs", ["none", "held"])
def test_every_check_cleared_is_ready_with_nothing_missing(dbs: str) -> None:
    checks = {**FRESH, **CLEARED, "dbs": dbs}
    status = lifecycle.volunteer_status(checks, "applied")
    assert lifecycle.readiness(checks, status) == ("ready", ())


def test_what_is_missing_shrinks_as_checks_clear() -> None:
    checks = {**FRESH, "references": "verified"}
    assert lifecycle.missing_checks(checks) == ("screening", "training")
    assert lifecycle.missing_checks({**checks, "training": "completed"}) == ("screening",)


def test_an_inactive_volunteer_gets_no_automatic_readiness_news() -> None:
    checks = {**FRESH, "screening": "failed"}
    assert lifecycle.readiness(checks, lifecycle.volunteer_status(checks, "applied")) is None
