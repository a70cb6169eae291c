"""The `sent` marks: one commit per email right after the server's 250, on a connection kept
while there is work (ADR 0021, docs/emails-delivery.md)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import Connection, Engine, bindparam, null, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from notifications.adapters.deliveries import Claimed
from notifications.adapters.models import Delivery

log = logging.getLogger(__name__)


# Sent: the words are not kept once sent (the context stays, as the log).
MARK_SENT = (
    update(Delivery)
    .where(Delivery.id == bindparam("delivery_id"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        sent_at=bindparam("sent_at"),
        last_error=null(),
        rendered=null(),
    )
)


class SentMarks:
    """Marks emails `sent`, on one connection kept while there is work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self._cursor: Any = None  # on PostgreSQL, the driver's cursor on `connection`
        self._sql: str | None = None  # MARK_SENT compiled for PostgreSQL

    def _connect(self) -> Connection:
        """A connection for the `sent` marks, kept while there is work and reset when given
        back. On PostgreSQL it is in autocommit, so a mark is one round trip, and does not wait
        for the disk: the mailer dying loses nothing committed; only the database server
        crashing may lose the last ~0.6 s of marks, and those emails go once more
        (docs/emails-delivery.md)."""
        connection = self.engine.connect()
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("SET synchronous_commit TO OFF")
            connection.commit()
        return connection

    def open(self) -> None:
        """Open the marks connection before the first email of a batch goes out, so a database
        that is away stops the batch before anything is sent, not after a 250."""
        if self.connection is None:
            self.connection = self._connect()

    def mark(self, claimed: Claimed) -> None:
        """Commit `sent` for `claimed` on the kept marks connection. That connection may have
        died since the last mark (a database restart, an idle timeout): the UPDATE is
        idempotent, so it is tried once more on a fresh, pre-pinged connection before the
        error stands (and the email stays `sending`, to go again when its claim runs out)."""
        values = {
            "delivery_id": claimed.id,
            "status": DeliveryStatus.SENT,
            "attempts": claimed.attempts + 1,
            "sent_at": datetime.now(UTC),
        }
        if self.connection is None:
            self.connection = self._connect()
        try:
            self._mark(self.connection, values)
            return
        except (DBAPIError, self.connection.dialect.loaded_dbapi.Error):
            self.close()
            log.warning("the marks connection failed: marking again on a new one")
        # Through SQLAlchemy this time: an error that stands is one the mailer's loop knows.
        self.connection = self._connect()
        self.connection.execute(MARK_SENT, values)
        self.connection.commit()

    def _mark(self, marks: Connection, values: dict[str, Any]) -> None:
        """One `sent` mark. On PostgreSQL through psycopg (3), the statement is compiled once
        and run on the driver's own cursor, prepared on the server, in autocommit: SQLAlchemy's
        work on each execution cost more CPU than the driver's. Other drivers go through
        SQLAlchemy (`prepare=` is psycopg's own)."""
        if (marks.dialect.name, marks.dialect.driver) != ("postgresql", "psycopg"):
            marks.execute(MARK_SENT, values)
            marks.commit()
            return
        if self._cursor is None:
            self._sql = str(MARK_SENT.compile(dialect=marks.dialect))
            self._cursor = marks.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._cursor.execute(self._sql, values, prepare=True)

    def close(self) -> None:
        """Give the marks connection back, if open."""
        if self.connection is not None:
            marks, self.connection, self._cursor = self.connection, None, None
            _close_marks(marks)


def _close_marks(connection: Connection) -> None:
    """Give the marks' connection back to the pool as it was lent."""
    try:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("RESET synchronous_commit")
    except SQLAlchemyError:
        connection.invalidate()  # never back to the pool with our setting
    connection.close()
