"""The people, registrants, event copies and emails notifications stored before local groups
existed belong to the default group once migrated (so the network's own group signs their
emails and network admins see them), on PostgreSQL and on SQLite.

Real: PostgreSQL (a private database) and a SQLite file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from notifications.adapters.models import Delivery, EventCopy, Person, Registrant
from notifications.bootstrap import bootstrap
from sanctuary.config import ServiceConfig
from sanctuary.contracts import DEFAULT_GROUP_ID
from sanctuary.db import make_engine
from sanctuary.migrations import alembic_config
from sqlalchemy.orm import Session

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
# One row of each table, with revision 0007's columns.
ROWS_0007: dict[str, dict[str, Any]] = {
    "people": {"id": uuid.uuid4(), "kind": "volunteer", "name": "Sam", "email": "s@example.org"},
    "registrants": {"registration_id": uuid.uuid4(), "event_id": uuid.uuid4(), "name": "Ana",
                    "email": "a@example.org", "status": "confirmed"},
    "events": {"id": uuid.uuid4(), "title": "Café", "kind": "social", "starts_at": NOW,
               "ends_at": NOW, "timezone": "Europe/London", "sequence": 0},
    "deliveries": {"id": uuid.uuid4(), "dedupe_key": "k", "template": "volunteer_welcome",
                   "to_address": "s@example.org", "locale": "en", "context": {},
                   "status": "sent", "attempts": 1, "next_attempt_at": NOW,
                   "correlation_id": "c", "created_at": NOW},
}  # fmt: skip


def _typed(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return sa.Uuid()
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    return (
        sa.JSON() if isinstance(value, dict) else sa.Integer() if isinstance(value, int) else None
    )


def in_default_group_after_migrating(url: str) -> dict[str, int]:
    """Migrate to 0007, store a row in each table, migrate to the newest revision: by table,
    the rows a query for DEFAULT_GROUP_ID finds (compared in SQL: the stored form counts)."""
    wired = bootstrap(ServiceConfig(service="notifications", database_url=url))
    config = alembic_config(wired.migrations, url, wired.metadata)
    engine = make_engine(url)
    try:
        command.upgrade(config, "0007")
        with engine.begin() as connection:
            for name, row in ROWS_0007.items():
                columns = (sa.column(key, _typed(value)) for key, value in row.items())
                connection.execute(sa.table(name, *columns).insert(), row)
        command.upgrade(config, "head")
        with Session(engine) as session:
            return {
                model.__tablename__: session.scalar(
                    sa.select(sa.func.count()).where(model.group_id == DEFAULT_GROUP_ID)
                )
                or 0
                for model in (Person, Registrant, EventCopy, Delivery)
            }
    finally:
        engine.dispose()
        wired.engine.dispose()


EVERY_TABLE = {"people": 1, "registrants": 1, "events": 1, "deliveries": 1}


def test_rows_before_groups_join_the_default_group_on_postgresql(
    make_database: Callable[[str], str],
) -> None:
    assert in_default_group_after_migrating(make_database("notifications")) == EVERY_TABLE


def test_rows_before_groups_join_the_default_group_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'notifications.db'}"
    assert in_default_group_after_migrating(url) == EVERY_TABLE
