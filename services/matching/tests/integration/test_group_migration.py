"""Rows stored before local groups existed belong to the default group once migrated, on
PostgreSQL and on SQLite (which stores a UUID as 32 hex digits: the update must say it so).

Real: PostgreSQL (a private database) and a SQLite file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from matching.adapters.models import Match, Newcomer, Volunteer
from matching.bootstrap import bootstrap
from sanctuary.config import ServiceConfig
from sanctuary.contracts.groups import DEFAULT_GROUP_ID
from sanctuary.db import make_engine
from sanctuary.migrations import alembic_config
from sqlalchemy.orm import Session

pytestmark = pytest.mark.integration


# Revision 0003's columns that have no server default, by table, with their types.
TEXT, JSON, WHEN, FLAG, ID = (
    sa.String(),
    sa.JSON(),
    sa.DateTime(timezone=True),
    sa.Boolean(),
    sa.Uuid(),
)
PERSON = {"id": ID, "name": TEXT, "postcode": TEXT, "languages": JSON, "status": TEXT}
PERSON |= {"consented_at": WHEN, "registered_at": WHEN}
COLUMNS_0003 = {
    "volunteers": {**PERSON, "email": TEXT, "district": TEXT},
    "newcomers": {**PERSON, "district": TEXT, "needs": JSON, "interests": JSON}
    | {"availability": JSON, "wants_english_practice": FLAG}
    | {"same_gender_only": FLAG, "needs_dbs": FLAG},
    "matches": {"id": ID, "volunteer_id": ID, "newcomer_id": ID, "status": TEXT}
    | {"score": sa.Integer(), "explanation": JSON, "checkins_sent": JSON, "proposed_at": WHEN},
}


def store_rows_as_of_revision_0003(connection: sa.Connection) -> None:
    """A volunteer, a newcomer and their match, written with revision 0003's columns."""
    now = datetime.now(UTC)
    volunteer, newcomer = uuid.uuid4(), uuid.uuid4()
    person = {"name": "Sam", "postcode": "LS6 1AA", "district": "LS6", "languages": ["en"]}
    person |= {"status": "applied", "consented_at": now, "registered_at": now}
    rows = {
        "volunteers": {**person, "id": volunteer, "email": "sam@example.org"},
        "newcomers": {**person, "id": newcomer, "needs": [], "interests": []}
        | {"availability": [], "wants_english_practice": False}
        | {"same_gender_only": False, "needs_dbs": False},
        "matches": {"id": uuid.uuid4(), "volunteer_id": volunteer, "newcomer_id": newcomer}
        | {"status": "proposed", "score": 10, "explanation": {}, "checkins_sent": []}
        | {"proposed_at": now},
    }
    for name, columns in COLUMNS_0003.items():
        table = sa.table(name, *(sa.column(column, kind) for column, kind in columns.items()))
        connection.execute(table.insert(), rows[name])


def in_default_group_after_migrating(url: str) -> dict[str, int]:
    """Migrate to 0003, store rows, migrate to the newest revision: by table, the rows a query
    for DEFAULT_GROUP_ID finds (a comparison in SQL, so the stored form must be the right one)."""
    wired = bootstrap(ServiceConfig(service="matching", database_url=url))
    config = alembic_config(wired.migrations, url, wired.metadata)
    engine = make_engine(url)
    try:
        command.upgrade(config, "0003")
        with engine.begin() as connection:
            store_rows_as_of_revision_0003(connection)
        command.upgrade(config, "head")
        with Session(engine) as session:
            return {
                model.__tablename__: session.scalar(
                    sa.select(sa.func.count())
                    .select_from(model)
                    .where(model.group_id == DEFAULT_GROUP_ID)
                )
                or 0
                for model in (Volunteer, Newcomer, Match)
            }
    finally:
        engine.dispose()
        wired.engine.dispose()


EVERY_ROW = {"volunteers": 1, "newcomers": 1, "matches": 1}


def test_rows_before_groups_join_the_default_group_on_postgresql(
    make_database: Callable[[str], str],
) -> None:
    """Volunteers, newcomers and matches: each reads back as DEFAULT_GROUP_ID."""
    assert in_default_group_after_migrating(make_database("matching")) == EVERY_ROW


def test_rows_before_groups_join_the_default_group_on_sqlite(tmp_path: Path) -> None:
    """The same on SQLite, where the id must be stored as the Uuid type stores it."""
    assert in_default_group_after_migrating(f"sqlite:///{tmp_path / 'm.db'}") == EVERY_ROW
