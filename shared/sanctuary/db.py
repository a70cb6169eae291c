"""Engines and sessions: PostgreSQL by URL, or an embedded SQLite file in WAL mode."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]
T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite gets WAL, a busy timeout, and write-locking transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # hide_parameters: a failing statement's values (names, emails) never reach a log line.
        # A server that does not answer is given up after 5 s (a 503, not a hang); a pooled
        # connection is checked before use, so a restarted server needs no restart here.
        connect_args = {"connect_timeout": 5, **kwargs.pop("connect_args", {})}
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **kwargs
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
    _serialise_sqlite_writers(engine)
    return engine


def _serialise_sqlite_writers(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN; we take over (the recipe in SQLAlchemy's
    # SQLite docs) and begin IMMEDIATE, so two relays or workers sharing one SQLite file queue
    # behind the write lock instead of both reading the same unsent outbox rows.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> SessionFactory:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite hands them back without a zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# State a use case keeps for one transaction (a batch's locked rows, its tallies, its
# prefetched checks): in the session's `info`, beside the transaction it belongs to, so a
# later transaction of the same session (the last one committed or rolled back) never
# reads it.


def kept(session: Session, key: str) -> Any:
    """What `key` holds for the session's current transaction; None if nothing (or only a
    finished transaction's)."""
    found = session.info.get(key)
    if found is None or found[0] is not session.get_transaction():
        return None
    return found[1]


def keep(session: Session, key: str, value: T) -> T:
    """Hold `value` under `key` for the session's current transaction; returns it."""
    session.info[key] = (session.get_transaction(), value)
    return value
