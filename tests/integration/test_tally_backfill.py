"""Upgrading a service that ran before the impact report (ADR 42, 43): its tallies are filled
from the rows as they stand, once: the flows before the first tallied day, each row's
stock on the day of the upgrade; what was tallied as it happened is not counted twice. On
PostgreSQL and on SQLite, through each service's own migrations.

Real: PostgreSQL (private databases) and SQLite files, alembic as `migrate` runs it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sanctuary.config import ServiceConfig
from sanctuary.db import make_engine
from sanctuary.migrations import alembic_config

pytestmark = pytest.mark.integration
LEEDS = uuid.uuid4()
ASKED = datetime(2026, 3, 2, 10, tzinfo=UTC)
APPROVED = ASKED + timedelta(days=12)
TODAY = datetime.now(UTC).date()


def _typed(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return sa.Uuid()
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    return sa.JSON() if isinstance(value, list | dict) else None


def upgraded(service: str, url: str, before: str, rows: dict[str, list[dict[str, Any]]]) -> Any:
    """Migrate to `before`, store `rows`, migrate to the newest revision: the tallies, as
    {(day, group, kind, measure): count}."""
    from importlib import import_module

    wired = import_module(f"{service}.bootstrap").bootstrap(
        ServiceConfig(service=service, database_url=url)
    )
    config = alembic_config(wired.migrations, url, wired.metadata)
    engine = make_engine(url)
    try:
        command.upgrade(config, before)
        with engine.begin() as connection:
            for name, table_rows in rows.items():
                for row in table_rows:
                    columns = (sa.column(key, _typed(value)) for key, value in row.items())
                    connection.execute(sa.table(name, *columns).insert(), row)
        command.upgrade(config, "head")
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT day, group_key, kind, measure, count FROM tallies")
            )
            return {
                (str(day)[:10], group, kind, measure): n
                for day, group, kind, measure, n in found
                if n
            }
    finally:
        engine.dispose()
        wired.engine.dispose()


def person(status: str, **more: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "name": "",
        "postcode": "",
        "district": "",
        "languages": [],
        "availability": [],
        "interests": [],
        "same_gender_only": False,
        "status": status,
        "consented_at": ASKED,
        "registered_at": ASKED,
        "group_id": LEEDS,
        **more,
    }


def matching_rows() -> dict[str, list[dict[str, Any]]]:
    newcomer = person("matched", wants_english_practice=False, needs=[], needs_dbs=False)
    waiting = person("waiting", wants_english_practice=False, needs=[], needs_dbs=False)
    volunteer = person("ready", email="", max_matches=1, references="verified",
                       screening="passed", training="completed", dbs="held")  # fmt: skip
    match = {
        "id": uuid.uuid4(),
        "volunteer_id": volunteer["id"],
        "newcomer_id": newcomer["id"],
        "status": "active",
        "score": 10,
        "explanation": {},
        "checkins_sent": ["two_weeks"],
        "proposed_at": ASKED + timedelta(days=10),
        "approved_at": APPROVED,
        "decided_at": APPROVED + timedelta(days=3),
        "group_id": LEEDS,
    }
    return {"volunteers": [volunteer], "newcomers": [newcomer, waiting], "matches": [match]}


MATCHING = {
    ("2026-03-02", str(LEEDS), "volunteer", "signed_up"): 1,
    ("2026-03-02", str(LEEDS), "newcomer", "requested"): 2,
    ("2026-03-12", str(LEEDS), "match", "proposed"): 1,
    ("2026-03-14", str(LEEDS), "match", "approved"): 1,
    ("2026-03-14", str(LEEDS), "newcomer", "matched_after:12"): 1,
    ("2026-03-17", str(LEEDS), "match", "activated"): 1,
    ("2026-03-28", str(LEEDS), "match", "checkin_sent"): 1,
    (str(TODAY), str(LEEDS), "volunteer", "now:ready"): 1,
    (str(TODAY), str(LEEDS), "newcomer", "now:matched"): 1,
    (str(TODAY), str(LEEDS), "newcomer", "now:waiting"): 1,
    (str(TODAY), str(LEEDS), "match", "now:active"): 1,
}


def test_matching_fills_its_tallies_from_its_rows_on_postgresql(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("matching")
    assert upgraded("matching", url, "0012", matching_rows()) == MATCHING


def test_matching_fills_its_tallies_from_its_rows_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'matching.db'}"
    assert upgraded("matching", url, "0012", matching_rows()) == MATCHING


def test_what_was_tallied_as_it_happened_is_not_counted_again(
    make_database: Callable[[str], str],
) -> None:
    """Tallied since 14 March: the request of 2 March is filled in, the approval of the 14th
    was tallied then and stays counted once."""
    rows = matching_rows()
    tallied = {"day": date(2026, 3, 14), "group_key": str(LEEDS), "kind": "match",
               "measure": "approved", "count": 1}  # fmt: skip
    found = upgraded("matching", make_database("matching"), "0012", {**rows, "tallies": [tallied]})
    assert found[("2026-03-02", str(LEEDS), "newcomer", "requested")] == 2
    assert found[("2026-03-14", str(LEEDS), "match", "approved")] == 1
    assert ("2026-03-14", str(LEEDS), "newcomer", "matched_after:12") not in found
    assert found[(str(TODAY), str(LEEDS), "match", "now:active")] == 1  # stocks: every row


def test_events_and_notifications_fill_theirs(make_database: Callable[[str], str]) -> None:
    event = {"id": uuid.uuid4(), "title": "Training", "description": "", "kind": "training",
             "starts_at": APPROVED, "ends_at": APPROVED + timedelta(hours=2),
             "timezone": "Europe/London", "capacity": 12, "status": "published", "sequence": 0,
             "created_at": ASKED, "group_id": LEEDS, "confirmed": 1}  # fmt: skip
    came = {"id": uuid.uuid4(), "event_id": event["id"], "name": "", "email": "",
            "status": "confirmed", "queued_at": ASKED, "decided_at": ASKED,
            "attended_at": APPROVED, "group_id": LEEDS}  # fmt: skip
    events = upgraded("events", make_database("events"), "0011", {"events": [event],
                      "registrations": [came]})  # fmt: skip
    assert events == {
        ("2026-03-14", str(LEEDS), "training", "held"): 1,
        ("2026-03-14", str(LEEDS), "training", "places"): 12,
        ("2026-03-02", str(LEEDS), "training", "confirmed"): 1,
        ("2026-03-14", str(LEEDS), "training", "taken"): 1,
        ("2026-03-14", str(LEEDS), "training", "attended"): 1,
    }
    sent = {"id": uuid.uuid4(), "dedupe_key": "k", "template": "volunteer_welcome",
            "to_address": "", "locale": "en", "context": {}, "status": "sent", "attempts": 1,
            "next_attempt_at": ASKED, "correlation_id": "c", "created_at": ASKED,
            "sent_at": ASKED, "group_id": LEEDS}  # fmt: skip
    emails = upgraded("notifications", make_database("notifications"), "0013",
                      {"deliveries": [sent]})  # fmt: skip
    assert emails == {("2026-03-02", str(LEEDS), "volunteer_welcome", "sent"): 1}
