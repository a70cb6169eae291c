"""The `sent` marks: one commit per email right after the server's 250, on a connection kept
while there is work (ADR 0021, docs/emails-delivery.md). A mark the database could not take
(it went away between the 250 and the commit) is owed, and paid before the mailer claims
anything again (ADR 0035): the email is not sent twice for it."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sanctuary import tallies
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import (
    Connection,
    Date,
    Engine,
    String,
    bindparam,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from notifications.adapters.deliveries import Claimed
from notifications.adapters.models import Delivery, Tally

log = logging.getLogger(__name__)


# Sent: the words are not kept once sent (the context stays, as the log). Once only: a mark
# tried again after a lost reply changes nothing, and counts nothing again.
MARK_SENT = (
    update(Delivery)
    .where(Delivery.id == bindparam("delivery_id"), Delivery.status != bindparam("status"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        sent_at=bindparam("sent_at"),
        last_error=null(),
        rendered=null(),
    )
)

# On PostgreSQL, the mark and its count for the impact report (ADR 42) in one statement, so
# the mark stays one round trip: the tally is added only if the mark changed the row.
_MARKED = MARK_SENT.returning(Delivery.id).cte("marked")
_TALLY = Tally.__table__
_COUNTED = postgresql_insert(_TALLY).from_select(
    ["day", "group_key", "kind", "measure", "count"],
    select(
        bindparam("day", type_=Date()),
        bindparam("group_key", type_=String()),
        bindparam("kind", type_=String()),
        bindparam("status", type_=String()),
        literal_column("1"),
    ).select_from(_MARKED),
)
MARK_AND_COUNT_SENT = _COUNTED.on_conflict_do_update(
    index_elements=[_TALLY.c.day, _TALLY.c.group_key, _TALLY.c.kind, _TALLY.c.measure],
    set_={"count": _TALLY.c.count + _COUNTED.excluded.count},
).add_cte(_MARKED)


class SentMarks:
    """Marks emails `sent`, on one connection kept while there is work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self._cursor: Any = None  # on PostgreSQL, the driver's cursor on `connection`
        self._sql: str | None = None  # MARK_AND_COUNT_SENT compiled for PostgreSQL
        self.owed: list[dict[str, Any]] = []  # marks of emails sent, not yet committed

    def _connect(self) -> Connection:
        """A connection for the `sent` marks, kept while there is work. On PostgreSQL it is in
        autocommit, so a mark is one round trip. Each mark waits for the disk (the server's
        synchronous_commit): with it off, a database crash lost the last ~0.6 s of marks and
        `make chaos` saw those emails go twice (ADR 0035)."""
        connection = self.engine.connect()
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    def settle(self) -> None:
        """Commit the marks owed, before anything is claimed: without them, the emails would
        look unsent once their claim ran out. Raises, keeping them owed, while the database is
        still away."""
        while self.owed:
            if self.connection is None:
                self.connection = self._connect()
            _mark_and_count(self.connection, self.owed[0])
            self.owed.pop(0)

    def open(self) -> None:
        """Open the marks connection before the first email of a batch goes out, so a database
        that is away stops the batch before anything is sent, not after a 250."""
        if self.connection is None:
            self.connection = self._connect()

    def mark(self, claimed: Claimed) -> None:
        """Commit `sent` for `claimed` on the kept marks connection. That connection may have
        died since the last mark (a database restart, an idle timeout): the UPDATE is
        idempotent, so it is tried once more on a fresh, pre-pinged connection before the
        error stands; then the mark is owed (`settle`)."""
        now = datetime.now(UTC)
        day, group_key, kind, _ = tallies.key(now, claimed.group_id, claimed.template, "")
        values = {
            "delivery_id": claimed.id,
            "status": DeliveryStatus.SENT,
            "attempts": claimed.attempts + 1,
            "sent_at": now,
            "day": day,
            "group_key": group_key,
            "kind": kind,
        }
        if self.connection is None:
            self.connection = self._connect()
        try:
            self._mark(self.connection, values)
            return
        except (DBAPIError, self.connection.dialect.loaded_dbapi.Error):
            self.close()
            log.warning("the marks connection failed: marking again on a new one")
        # Owed now, and paid at once on a new connection through SQLAlchemy: an error that
        # stands is one the mailer's loop knows, and the mark waits until the database takes it.
        self.owed.append(values)
        self.settle()

    def _mark(self, marks: Connection, values: dict[str, Any]) -> None:
        """One `sent` mark. On PostgreSQL through psycopg (3), the statement is compiled once
        and run on the driver's own cursor, prepared on the server, in autocommit: SQLAlchemy's
        work on each execution cost more CPU than the driver's. Other drivers go through
        SQLAlchemy (`prepare=` is psycopg's own)."""
        if (marks.dialect.name, marks.dialect.driver) != ("postgresql", "psycopg"):
            _mark_and_count(marks, values)
            return
        if self._cursor is None:
            self._sql = str(MARK_AND_COUNT_SENT.compile(dialect=marks.dialect))
            self._cursor = marks.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._cursor.execute(self._sql, values, prepare=True)

    def close(self) -> None:
        """Give the marks connection back, if open."""
        if self.connection is not None:
            marks, self.connection, self._cursor = self.connection, None, None
            _close_marks(marks)


def _mark_and_count(marks: Connection, values: dict[str, Any]) -> None:
    """One `sent` mark through SQLAlchemy, and its count if it changed the row, committed."""
    if marks.dialect.name == "postgresql":
        marks.execute(MARK_AND_COUNT_SENT, values)
    else:
        mark = {k: v for k, v in values.items() if k not in ("day", "group_key", "kind")}
        if marks.execute(MARK_SENT, mark).rowcount:  # type: ignore[attr-defined]
            key = (values["day"], values["group_key"], values["kind"], values["status"])
            tallies.write(marks, Tally, {key: 1})
    marks.commit()


def _close_marks(connection: Connection) -> None:
    """Give the marks' connection back to the pool. Closing a lost one fails on its rollback,
    and SQLAlchemy invalidates it then (a disconnect): the pool never lends it again."""
    with contextlib.suppress(SQLAlchemyError):
        connection.close()
