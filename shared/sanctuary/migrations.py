"""Alembic, driven from code: one migration history per service, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, text

from sanctuary.db import make_engine
from sanctuary.wakeup import channel


def alembic_config(script_location: Path, database_url: str, metadata: MetaData) -> Config:
    """An Alembic configuration for one service's migrations and database."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # ConfigParser interpolation would read a % in a password as a placeholder.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["target_metadata"] = metadata
    return config


def upgrade(script_location: Path, database_url: str, metadata: MetaData) -> None:
    """Bring the service's database to the newest revision."""
    command.upgrade(alembic_config(script_location, database_url, metadata), "head")


def run_env() -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    config = context.config
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=config.attributes["target_metadata"],
            # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Pods starting together migrate one after the other: the second waits here,
                # then finds the schema current and does nothing.
                connection.execute(text("SELECT pg_advisory_xact_lock(726400101)"))
            context.run_migrations()
    engine.dispose()


WAKE_FUNCTION = """
CREATE OR REPLACE FUNCTION sanctuary_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], '');
  RETURN NULL;
END $$
"""


def wake_on_insert(*tables: str) -> None:
    """In a migration's upgrade(), on PostgreSQL: announce inserts into each table on its
    `sanctuary.wakeup.channel`, once a statement, when the transaction commits, so the loop
    that reads the table wakes at once (ADR 0034). Elsewhere it does nothing."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(WAKE_FUNCTION)
    for table in tables:
        op.execute(
            f'CREATE TRIGGER "{table}_wakes" AFTER INSERT ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION sanctuary_wake('{channel(table)}')"
        )


def create_tallies() -> None:
    """In a migration's upgrade(): the `tallies` table as ADR 42 made it (sanctuary.tallies.
    TallyMixin). Frozen: a later change to the table is a migration of its own."""
    op.create_table(
        "tallies",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("group_key", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("measure", sa.String(60), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def no_wake_on_insert(*tables: str) -> None:
    """wake_on_insert's downgrade."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_wakes" ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS sanctuary_wake()")


class Backfill:
    """In a migration's upgrade(): counts for the `tallies` table (ADR 42) from the rows as
    they stand, added with one upsert each. Frozen with the table: the day of a moment is
    its date in Europe/London, the network's zone; a group is its id as text, or "".

    `since`: the first day the service tallied as things happened (None: it never did).
    A flow dated on or after it is counted already and is left out (`flow`); the stocks
    (`stock`, now:<status>) are counted on the day of the migration, as each row stands."""

    def __init__(self) -> None:
        from collections import Counter
        from datetime import UTC, datetime
        from zoneinfo import ZoneInfo

        self.zone = ZoneInfo("Europe/London")
        self.today = datetime.now(UTC).astimezone(self.zone).date()
        self.counts: Counter[tuple[Any, str, str, str]] = Counter()
        self.since = op.get_bind().execute(text("SELECT min(day) FROM tallies")).scalar()

    @staticmethod
    def moment(value: Any) -> Any:
        """A stored time as an aware datetime (SQLite gives it as text, PostgreSQL as a
        datetime; a naive one is UTC, as the services store them)."""
        from datetime import UTC, datetime

        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def day(self, moment: Any) -> Any:
        return self.moment(moment).astimezone(self.zone).date()

    def flow(self, moment: Any, group: Any, kind: str, measure: str, n: int = 1) -> None:
        """Count `n` of `measure` on the day of `moment`, unless tallied then already."""
        if moment is None or n == 0:
            return
        day = self.day(moment)
        if self.since is None or day < self.date(self.since):
            self.counts[(day, self.group(group), kind, measure)] += n

    def stock(self, group: Any, kind: str, status: str) -> None:
        """One row standing in `status` today (only where nothing was tallied as it moved)."""
        self.counts[(self.today, self.group(group), kind, f"now:{status}")] += 1

    @staticmethod
    def group(value: Any) -> str:
        """A group's key: its id as text with dashes (SQLite keeps it as 32 hex digits)."""
        import uuid

        return str(uuid.UUID(str(value))) if value else ""

    @staticmethod
    def date(value: Any) -> Any:
        from datetime import date

        return date.fromisoformat(value) if isinstance(value, str) else value

    def write(self) -> None:
        bind = op.get_bind()
        upsert = text(
            "INSERT INTO tallies (day, group_key, kind, measure, count) "
            "VALUES (:day, :group_key, :kind, :measure, :count) "
            "ON CONFLICT (day, group_key, kind, measure) "
            "DO UPDATE SET count = tallies.count + excluded.count"
        )
        rows = [
            {"day": day, "group_key": group, "kind": kind, "measure": measure, "count": n}
            for (day, group, kind, measure), n in sorted(self.counts.items())
            if n
        ]
        for start in range(0, len(rows), 5_000):
            bind.execute(upsert, rows[start : start + 5_000])
