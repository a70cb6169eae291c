"""Alembic, driven from code: one migration history per service, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

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
