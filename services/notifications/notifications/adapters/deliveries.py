"""The deliveries table as the mailer uses it: claims, releases, failures and `sent` marks,
each in as few round trips as it can (ADR 0021)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sanctuary import metrics
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import Connection, Engine, Integer, bindparam, null, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from notifications import domain
from notifications.adapters.models import Delivery, Unsubscribe
from notifications.config import NotificationsConfig
from notifications.domain import links

log = logging.getLogger(__name__)
BATCH = 100  # emails a claim takes: one claim (a round trip and a commit) for up to 100


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


# A batch of due deliveries becomes `sending` until the claim runs out; the columns are
# Claimed's, then when the email was planned (a batch is sent oldest first).
CLAIM = (
    update(Delivery)
    .where(
        Delivery.id.in_(
            select(Delivery.id)
            .where(
                Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
                Delivery.next_attempt_at <= bindparam("now"),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(bindparam("batch", type_=Integer))
            .with_for_update(skip_locked=True)
        )
    )
    .values(status=DeliveryStatus.SENDING, next_attempt_at=bindparam("until"))
    .returning(
        Delivery.id,
        Delivery.template,
        Delivery.to_address,
        Delivery.context,
        Delivery.attempts,
        Delivery.correlation_id,
        Delivery.rendered,
        Delivery.created_at,
    )
)


@dataclass(frozen=True)
class Claimed:
    """What sending one delivery needs, read while claiming it."""

    id: uuid.UUID
    template: str
    to_address: str
    context: dict[str, Any]
    attempts: int
    correlation_id: str
    rendered: dict[str, str] | None


class DeliveryStore:
    """The mailer's reads and writes of the deliveries table; keeps one connection for the
    `sent` marks while there is work."""

    def __init__(self, engine: Engine, config: NotificationsConfig) -> None:
        self.engine = engine
        self.config = config
        self.marks: Connection | None = None
        self._mark_cursor: Any = None  # on PostgreSQL, the driver's cursor on `marks`
        self._mark_sql: str | None = None  # MARK_SENT compiled for PostgreSQL

    def claim(self) -> list[Claimed]:
        """Mark a batch of due deliveries `sending` until the claim runs out, and commit: then
        no other mailer takes them, and a crash leaves them to the next one. One UPDATE …
        RETURNING (SKIP LOCKED: mailers take different rows); unsubscribed ones then become
        `suppressed` in the same transaction."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            rows = connection.execute(
                CLAIM,
                {
                    "now": now,
                    "until": now + timedelta(seconds=self.config.mail_claim_seconds),
                    "batch": BATCH,
                },
            ).all()
            batch = [Claimed(*row[:-1]) for row in sorted(rows, key=lambda row: row[-1])]
            suppressed = self._unsubscribed(connection, batch)
            if suppressed:
                connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(suppressed))
                    .values(status=DeliveryStatus.SUPPRESSED, rendered=null())
                )
                metrics.EMAILS.labels("notifications", DeliveryStatus.SUPPRESSED).inc(
                    len(suppressed)
                )
        return [claimed for claimed in batch if claimed.id not in suppressed]

    def _unsubscribed(self, connection: Connection, batch: list[Claimed]) -> set[uuid.UUID]:
        """The ids of the batch's optional emails whose address unsubscribed from their
        category."""
        optional = {
            c.id: (
                links.address_hash(self.config.link_secret, c.to_address),
                domain.OPTIONAL_CATEGORIES[c.template],
            )
            for c in batch
            if c.template in domain.OPTIONAL_CATEGORIES
        }
        if not optional:
            return set()
        rows = connection.execute(
            select(Unsubscribe.address_hash, Unsubscribe.category).where(
                Unsubscribe.address_hash.in_({h for h, _ in optional.values()})
            )
        )
        unsubscribed = {(h, c) for h, c in rows}
        return {id_ for id_, key in optional.items() if key in unsubscribed}

    def release(self, claimed: list[Claimed]) -> None:
        """Give back emails claimed and not tried: due now, for the next batch or mailer."""
        if not claimed:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_([c.id for c in claimed]),
                    Delivery.status == DeliveryStatus.SENDING,
                )
                .values(status=DeliveryStatus.PENDING, next_attempt_at=datetime.now(UTC))
            )

    def record_failure(self, delivery_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Write a failed try's outcome (status, attempts, when next, the reply), unless the
        email is no longer `sending` (its reader was erased meanwhile: it stays `erased`)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING)
                .values(**values)
            )

    def _marks_connection(self) -> Connection:
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

    def open_marks(self) -> None:
        """Open the marks connection before the first email of a batch goes out, so a database
        that is away stops the batch before anything is sent, not after a 250."""
        if self.marks is None:
            self.marks = self._marks_connection()

    def mark_sent(self, claimed: Claimed) -> None:
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
        if self.marks is None:
            self.marks = self._marks_connection()
        try:
            self._mark(self.marks, values)
            return
        except (DBAPIError, self.marks.dialect.loaded_dbapi.Error):
            self.close()
            log.warning("the marks connection failed: marking again on a new one")
        # Through SQLAlchemy this time: an error that stands is one the mailer's loop knows.
        self.marks = self._marks_connection()
        self.marks.execute(MARK_SENT, values)
        self.marks.commit()

    def _mark(self, marks: Connection, values: dict[str, Any]) -> None:
        """One `sent` mark. On PostgreSQL through psycopg (3), the statement is compiled once
        and run on the driver's own cursor, prepared on the server, in autocommit: SQLAlchemy's
        work on each execution cost more CPU than the driver's. Other drivers go through
        SQLAlchemy (`prepare=` is psycopg's own)."""
        if (marks.dialect.name, marks.dialect.driver) != ("postgresql", "psycopg"):
            marks.execute(MARK_SENT, values)
            marks.commit()
            return
        if self._mark_cursor is None:
            self._mark_sql = str(MARK_SENT.compile(dialect=marks.dialect))
            self._mark_cursor = marks.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._mark_cursor.execute(self._mark_sql, values, prepare=True)

    def close(self) -> None:
        """Give the marks connection back, if open."""
        if self.marks is not None:
            marks, self.marks, self._mark_cursor = self.marks, None, None
            _close_marks(marks)


def _close_marks(connection: Connection) -> None:
    """Give the marks' connection back to the pool as it was lent."""
    try:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("RESET synchronous_commit")
    except SQLAlchemyError:
        connection.invalidate()  # never back to the pool with our setting
    connection.close()
