"""The retention schedule's settings and pace (sanctuary.retention, ADR 0028)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sanctuary.config import ConfigError, ServiceConfig
from sanctuary.retention import Paced, Retention
from sanctuary_dev.secrets import with_secrets


def test_the_schedule_of_issue_14_by_default_and_each_period_a_setting() -> None:
    default = ServiceConfig.from_env("matching", with_secrets({})).retention
    assert (default.unready_volunteers, default.closed_requests, default.ended_matches) == (
        365,
        365,
        730,
    )
    assert (default.dbs, default.registrations, default.sent_emails) == (1095, 183, 90)
    env = {"RETAIN_SENT_EMAILS_DAYS": "30", "RETENTION_CHECK_MINUTES": "0.5"}
    changed = ServiceConfig.from_env("notifications", with_secrets(env)).retention
    assert (changed.sent_emails, changed.check_minutes, changed.dbs) == (30, 0.5, 1095)
    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert changed.cutoff("sent_emails", now) == now - timedelta(days=30)


@pytest.mark.parametrize("raw", ["0", "-3", "a year", "1.5"])
def test_a_period_that_is_not_a_whole_number_of_days_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="RETAIN_DBS_DAYS"):
        Retention.from_env({"RETAIN_DBS_DAYS": raw})


def test_a_pass_runs_at_once_then_once_an_interval() -> None:
    ran: list[datetime] = []
    paced = Paced(timedelta(minutes=60), ran.append)
    start = datetime(2026, 12, 5, tzinfo=UTC)
    for minutes in (0, 5, 59, 60, 61, 119, 121):
        paced(start + timedelta(minutes=minutes))
    assert ran == [start, start + timedelta(minutes=60), start + timedelta(minutes=121)]
