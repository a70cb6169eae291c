"""The outbox's relay: publishes the messages a unit of work wrote in its transaction
(`sanctuary.unit_of_work`), with publisher confirms, and marks them sent.

A crash anywhere loses nothing: before the commit neither the change nor the message exists;
after it, the row waits until a relay has a confirm from the broker and marks it sent. A relay
that dies after the confirm and before marking publishes that row again, and the consumer's
inbox makes the second copy a no-op.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kombu import Connection, Producer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from sanctuary import envelope, metrics, topology
from sanctuary.db import SessionFactory, as_utc
from sanctuary.messaging_models import OutboxMixin
from sanctuary.wakeup import Sleeping, Wakeup

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 60.0
LAG_EVERY_SECONDS = 5.0


class Relay:
    """Publishes unsent outbox rows with publisher confirms and marks them sent."""

    def __init__(
        self,
        sessions: SessionFactory,
        outbox_model: type[OutboxMixin],
        connection: Connection,
        *,
        app_id: str,
        retry_delays_ms: tuple[int, ...],
        batch_size: int = 100,
        poll_seconds: float = 0.2,
        retention: timedelta = timedelta(hours=72),
        housekeeping: Callable[[], None] | None = None,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.sessions = sessions
        self.outbox_model = outbox_model
        self.connection = connection
        self.app_id = app_id
        self.retry_delays_ms = retry_delays_ms
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        # The service's own timed upkeep (gauges, retention), run as often as the lag report.
        self.housekeeping = housekeeping
        # Woken by a commit to the outbox, not only by the poll (ADR 0034).
        self.wakeup = wakeup or Sleeping()
        self._next_prune = 0.0
        self._next_lag_report = 0.0
        self.stopping = threading.Event()
        self._producer: Producer | None = None
        self.published = 0

    def publish_batch(self) -> int:
        """Publish one batch of unsent rows; returns how many were published."""
        model = self.outbox_model
        with self.sessions.begin() as session:
            # SKIP LOCKED: several relays on one PostgreSQL database each take different rows,
            # so no row is published twice. (SQLite serialises them with BEGIN IMMEDIATE.)
            rows = session.scalars(
                select(model)
                .where(model.sent_at.is_(None))
                .order_by(model.created_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                self._publish(row)
                # Marked only after the confirm; committed after the whole batch is confirmed.
                row.sent_at = datetime.now(UTC)
        return len(rows)

    def prune(self) -> int:
        """Delete rows published longer ago than the retention: their bodies hold personal data."""
        model = self.outbox_model
        cutoff = datetime.now(UTC) - self.retention
        with self.sessions.begin() as session:
            deleted = session.execute(
                delete(model).where(model.sent_at.is_not(None), model.sent_at < cutoff)
            )
        return int(deleted.rowcount or 0)  # type: ignore[attr-defined]

    def _prune_now_and_then(self) -> None:
        if time.monotonic() >= self._next_lag_report:
            self._next_lag_report = time.monotonic() + LAG_EVERY_SECONDS
            lag = outbox_lag(self.sessions, self.outbox_model)
            metrics.OUTBOX_UNSENT.labels(self.app_id).set(lag["unsent"])
            metrics.OUTBOX_OLDEST_SECONDS.labels(self.app_id).set(lag["oldest_unsent_seconds"])
            if self.housekeeping is not None:
                self.housekeeping()
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            pruned = self.prune()
            if pruned:
                log.info("pruned %d published outbox rows", pruned)

    def run(self) -> None:
        """Publish until stopped; waits (for a commit to the outbox, or the poll) only when
        there was nothing more to publish."""
        log.info("relay started", extra={"app_id": self.app_id})
        while not self.stopping.is_set():
            try:
                # Lag first: it must keep being reported while the broker is away.
                self._prune_now_and_then()
                published = self.publish_batch()
            except envelope.BROKER_ERRORS as exc:
                # The batch rolled back: its rows stay unsent and are published after reconnecting.
                log.warning("relay cannot reach the broker, retrying in 1 s: %r", exc)
                self._reset_connection()
                self.stopping.wait(1.0)
                continue
            except SQLAlchemyError as exc:
                log.warning("relay cannot reach its database, retrying in 1 s: %r", exc)
                self.stopping.wait(1.0)
                continue
            self.published += published
            if published < self.batch_size:
                self.wakeup.wait(self.poll_seconds, self.stopping)
        self.wakeup.close()
        log.info(
            "relay stopped after publishing %d messages",
            self.published,
            extra={"published": self.published},
        )

    def _publish(self, row: OutboxMixin) -> None:
        if self._producer is None:
            channel = self.connection.channel()
            topology.declare_all(channel, self.retry_delays_ms)
            self._producer = Producer(channel)
        env = envelope.Envelope(
            message_id=row.message_id,
            type=row.type,
            correlation_id=row.correlation_id,
            app_id=self.app_id,
            timestamp=int(as_utc(row.created_at).timestamp()),
            schema_version=row.schema_version,
            body=row.body.encode(),
        )
        envelope.publish(self._producer, env, exchange=topology.EXCHANGE_NAME, routing_key=row.type)
        log.debug(
            "published %s",
            row.type,
            extra={"message_id": row.message_id, "correlation_id": row.correlation_id},
        )

    def _reset_connection(self) -> None:
        self._producer = None
        with contextlib.suppress(Exception):  # the old connection is broken; closing may fail too
            self.connection.release()
        self.connection = self.connection.clone()


def outbox_lag(sessions: SessionFactory, model: type[OutboxMixin]) -> dict[str, Any]:
    """Unsent outbox rows and the age in seconds of the oldest: a relay that is behind."""
    with sessions() as session:
        unsent, oldest = session.execute(
            select(func.count(), func.min(model.created_at)).where(model.sent_at.is_(None))
        ).one()
    age = (datetime.now(UTC) - as_utc(oldest)).total_seconds() if oldest else 0.0
    return {"unsent": int(unsent), "oldest_unsent_seconds": round(age, 1)}
