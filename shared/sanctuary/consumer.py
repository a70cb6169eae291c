"""The consumer base: every delivery rule is decided here, once, for every service.

- A message is applied and its id recorded in the inbox in one transaction; the ack comes
  after the commit, so a crash before it redelivers, and the inbox makes the redelivery a no-op.
- A permanent failure (no envelope, body not JSON, unknown type, schema violation, or a handler
  raising PermanentError) parks the message with the reason in its headers.
- Any other failure is transient: the message goes to the next delay queue and comes back
  after a growing delay, a bounded number of times, then is parked.
- SIGTERM finishes the message in hand, then stops.

Batches (batch_size > 1, for throughput) keep every rule above. Each delivery is still decoded
and checked as it arrives (a bad one is parked at once); valid ones wait in a batch, applied
when it is full or batch_wait_seconds after its first message came, and before the worker
stops. A batch is one transaction: one inbox query, each new message handled and recorded (a
second copy in the batch counts as a duplicate), one commit, then one ack per message.
- Crash before the commit: nothing was applied; the broker redelivers the whole batch.
- Crash after the commit, before the acks: the broker redelivers; the inbox skips them all.
- Any failure inside the transaction rolls it back, and the batch is applied again one
  message at a time by the single-message path, which sorts out duplicates, parks and retries:
  a poison message parks only itself, and the others are applied once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from kombu import Connection, Producer
from kombu.message import Message
from kombu.mixins import ConsumerMixin
from marshmallow import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from sanctuary import contracts, envelope, metrics, topology
from sanctuary.db import SessionFactory
from sanctuary.failures import PermanentError, describe
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.unit_of_work import Handler, UnitOfWork

log = logging.getLogger(__name__)

RETRIES_HEADER = "x-retries"
REASON_HEADER = "x-parked-reason"
# Broker bookkeeping that must not follow a message when we republish it.
_DROPPED_HEADERS = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class Delivery:
    """A received message that passed its checks: its envelope, event and handler."""

    message: Message
    env: envelope.Envelope
    event: Any
    handler: Handler

    @property
    def log_extra(self) -> dict[str, str]:
        """The ids every log line about this message carries."""
        return {"message_id": self.env.message_id, "correlation_id": self.env.correlation_id}


def _in_foreign_key_order(models: Iterable[type[Any]]) -> list[type[Any]]:
    """`models` in the order their tables can be inserted into (referenced tables first)."""
    tables = {cast(Table, sa_inspect(model).local_table): model for model in models}
    if not tables:
        return []
    ordered = [tables[t] for t in next(iter(tables)).metadata.sorted_tables if t in tables]
    if len(ordered) != len(tables):  # models of another MetaData would be left out
        raise ValueError("held rows of tables outside the service's metadata")
    return ordered


class Worker(ConsumerMixin):  # type: ignore[misc]
    """Consumes one service's queue and applies each message with its handler."""

    # How long a part-filled batch waits for more, from its first message: the most a lone
    # message is delayed before it is applied. Tests lengthen it to know what shares a batch.
    batch_wait_seconds = 0.015

    def __init__(
        self,
        connection: Connection,
        *,
        service: str,
        handlers: Mapping[str, Handler],
        sessions: SessionFactory,
        inbox_model: type[InboxMixin],
        outbox_model: type[OutboxMixin],
        retry_delays_ms: tuple[int, ...],
        prefetch: int = 10,
        batch_size: int = 1,
    ) -> None:
        expected = set(topology.SUBSCRIPTIONS[service])
        if set(handlers) != expected:
            raise ValueError(
                f"{service} handlers {sorted(handlers)} != subscriptions {sorted(expected)}"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.connection = connection
        # Retries and parking publish on a connection of their own: waiting for a confirm on the
        # consuming connection could dispatch the next delivery in the middle of this one.
        self.producer_connection = connection.clone()
        self.service = service
        self.handlers = dict(handlers)
        self.sessions = sessions
        self.inbox_model = inbox_model
        self.outbox_model = outbox_model
        self.retry_delays_ms = retry_delays_ms
        self.queues = topology.service_queues(service, retry_delays_ms)
        # A smaller prefetch than the batch would never let the broker send a full batch.
        self.prefetch = max(prefetch, batch_size)
        self.batch_size = batch_size
        self.batch: list[Delivery] = []
        self.batch_due_at = 0.0

    def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
        """One consumer on the service's main queue, decoding nothing itself (on_message)."""
        topology.declare_all(channel, self.retry_delays_ms)
        return [
            consumer_cls(
                queues=[self.queues.main], on_message=self.on_message, prefetch_count=self.prefetch
            )
        ]

    def on_message(self, message: Message) -> None:
        """Apply, skip, retry or park one delivery; ack only once its fate is safely recorded.

        In batch mode a valid delivery joins the batch instead; the consume loop applies it."""
        delivery = self._checked(message)
        if delivery is None:
            return
        if self.batch_size == 1:
            self._handle(delivery)
            return
        if not self.batch:
            self.batch_due_at = time.monotonic() + self.batch_wait_seconds
        self.batch.append(delivery)

    def _checked(self, message: Message) -> Delivery | None:
        """The delivery with its decoded event and handler; None when it was parked instead."""
        try:
            env = envelope.from_message(message)
            handler = self.handlers.get(env.type)
            if handler is None:
                raise PermanentError(f"unknown message type {env.type!r}")
            event = contracts.load(env.type, env.json())
        except (envelope.BadEnvelope, PermanentError) as exc:
            self._park(message, str(exc))
            return None
        except ValidationError as exc:
            self._park(message, f"schema violation: {exc.messages}")
            return None
        return Delivery(message, env, event, handler)

    def _handle(self, delivery: Delivery) -> None:
        """The single-message path: apply in a transaction of its own, or retry, or park."""
        started = time.perf_counter()
        try:
            applied = self._apply(delivery.env, delivery.event, delivery.handler)
        except PermanentError as exc:
            self._park(delivery.message, str(exc))
            return
        except envelope.BROKER_ERRORS:
            raise  # the connection is gone: the message will be redelivered
        except Exception as exc:  # the one place that classifies failures: all else is transient
            log.warning(
                "handler failed: %s", describe(exc), extra=delivery.log_extra, exc_info=True
            )
            self._retry_or_park(delivery.message, exc)
            return
        self._acked(delivery, applied, time.perf_counter() - started)

    def _acked(self, delivery: Delivery, applied: bool, seconds: float) -> None:
        """Count, log and ack a delivery whose transaction has committed."""
        env = delivery.env
        metrics.HANDLER_SECONDS.labels(self.service, env.type).observe(seconds)
        metrics.MESSAGES.labels(self.service, env.type, "applied" if applied else "duplicate").inc()
        log.info(
            "%s %s",
            "applied" if applied else "skipped duplicate",
            env.type,
            extra=delivery.log_extra,
        )
        delivery.message.ack()

    def _apply(self, env: envelope.Envelope, event: Any, handler: Handler) -> bool:
        """Run the handler and record the inbox row in one transaction; False if already done."""
        try:
            with self.sessions.begin() as session:
                if session.get(self.inbox_model, env.message_id) is not None:
                    return False
                uow = UnitOfWork(
                    session, env.correlation_id, self.outbox_model, message_id=env.message_id
                )
                handler(event, uow)
                uow.write_outbox()
                session.add(self._inbox_row(env))
        except IntegrityError:
            # Another worker applied a copy of this message and committed first.
            with self.sessions() as session:
                if session.get(self.inbox_model, env.message_id) is not None:
                    return False
            raise
        return True

    def consume(
        self,
        limit: int | None = None,
        timeout: float | None = None,
        safety_interval: float = 1,
        **kwargs: Any,
    ) -> Iterator[None]:
        """kombu's consume loop (run() drives it); in batch mode, one that applies batches."""
        if self.batch_size == 1:
            return super().consume(limit, timeout, safety_interval, **kwargs)  # type: ignore[no-any-return]
        if limit is not None or timeout is not None:
            raise ValueError("a batching worker consumes until it is stopped")
        return self._consume_batches(safety_interval, **kwargs)

    def _consume_batches(self, safety_interval: float, **kwargs: Any) -> Iterator[None]:
        """ConsumerMixin.consume, waiting no longer than the batch in hand may wait. Batches
        are applied here, between drain_events calls, never inside a message callback."""
        with self.consumer_context(**kwargs) as (connection, _channel, _consumers):
            try:
                while not self.should_stop:
                    if len(self.batch) >= self.batch_size or (
                        self.batch and time.monotonic() >= self.batch_due_at
                    ):
                        self._apply_batch()
                        connection.heartbeat_check()  # a steady stream never lets drain time out
                    wait = safety_interval  # should_stop is looked at least this often
                    if self.batch:
                        wait = min(wait, max(self.batch_due_at - time.monotonic(), 0.001))
                    try:
                        connection.drain_events(timeout=wait)
                    except TimeoutError:  # socket.timeout: nothing came in time
                        connection.heartbeat_check()
                    except OSError:
                        if self.should_stop:
                            return  # the connection is gone: the broker redelivers the batch
                        raise
                    yield
                self._apply_batch()  # told to stop: the batch in hand is finished first
            finally:
                # After a broker error the rest of the batch cannot be acked: it is redelivered.
                self.batch = []

    def _apply_batch(self) -> None:
        """Apply the batch in one transaction, then ack each message; one by one if that fails."""
        batch, self.batch = self.batch, []
        if not batch:
            return
        started = time.perf_counter()
        try:
            applied = self._apply_together(batch)
        except Exception as exc:  # whatever it was, the single-message path classifies it
            log.warning(
                "batch of %d rolled back (%s): applying it one message at a time",
                len(batch),
                describe(exc),
            )
            for delivery in batch:
                self._handle(delivery)
            return
        # HANDLER_SECONDS stays a per-message figure: each gets an equal share of the batch.
        share = (time.perf_counter() - started) / len(batch)
        for delivery, was_applied in zip(batch, applied, strict=True):
            # One ack per message, never multiple=True: parked messages between these tags
            # were acked already, and acking a tag twice closes the channel.
            self._acked(delivery, was_applied, share)

    def _apply_together(self, batch: list[Delivery]) -> list[bool]:
        """Handle each new delivery and record its inbox row, all in one transaction; for each
        delivery, whether it was applied (False: in the inbox already, or earlier in the batch)."""
        inbox = self.inbox_model
        with self.sessions.begin() as session:
            done = set(
                session.scalars(
                    select(inbox.message_id).where(
                        inbox.message_id.in_({d.env.message_id for d in batch})
                    )
                )
            )
            applied = []
            rows: dict[type[Any], list[dict[str, Any]]] = {}
            for delivery in batch:
                env = delivery.env
                is_new = env.message_id not in done
                if is_new:
                    done.add(env.message_id)
                    uow = UnitOfWork(
                        session,
                        env.correlation_id,
                        self.outbox_model,
                        message_id=env.message_id,
                        batch_rows=rows,
                    )
                    delivery.handler(delivery.event, uow)
                    uow.write_outbox()
                    rows.setdefault(inbox, []).append(self._inbox_values(env))
                applied.append(is_new)
            # The objects handlers added to the session first (as any statement would flush
            # them), then the held rows: one INSERT a table, in the order of their foreign keys.
            session.flush()
            for model in _in_foreign_key_order(rows):
                session.execute(insert(model), rows[model])
        return applied

    def _inbox_row(self, env: envelope.Envelope) -> InboxMixin:
        """The inbox row that marks `env` as applied."""
        return self.inbox_model(**self._inbox_values(env))

    @staticmethod
    def _inbox_values(env: envelope.Envelope) -> dict[str, Any]:
        return {"message_id": env.message_id, "type": env.type, "processed_at": datetime.now(UTC)}

    def _retry_or_park(self, message: Message, exc: Exception) -> None:
        retries = int((message.headers or {}).get(RETRIES_HEADER, 0))
        if retries >= self.queues.max_retries:
            self._park(message, f"gave up after {retries + 1} tries: {describe(exc)}")
            return
        queue = self.queues.retry_queue(retries)
        metrics.MESSAGES.labels(
            self.service, message.properties.get("type") or "-", "retried"
        ).inc()
        self._republish(
            message, queue.name, {RETRIES_HEADER: retries + 1, "x-last-error": describe(exc)}
        )
        message.ack()

    def _park(self, message: Message, reason: str) -> None:
        props = message.properties
        metrics.MESSAGES.labels(self.service, props.get("type") or "-", "parked").inc()
        log.error(
            "parked message: %s",
            reason,
            extra={
                "message_id": props.get("message_id"),
                "correlation_id": props.get("correlation_id"),
            },
        )
        self._republish(
            message,
            self.queues.parked.name,
            {
                REASON_HEADER: reason[:1000],
                "x-parked-at": datetime.now(UTC).isoformat(),
                "x-parked-by": self.service,
            },
        )
        message.ack()

    def _republish(self, message: Message, queue_name: str, headers: dict[str, Any]) -> None:
        """Publish a copy of `message` to `queue_name` through the default exchange, confirmed."""
        republish(Producer(self.producer_connection), message, queue_name, headers)


def republish(
    producer: Producer, message: Message, queue_name: str, headers: Mapping[str, Any]
) -> None:
    """Copy `message` (body, envelope, headers) to `queue_name`, waiting for the confirm.

    `headers` are added to the message's own; a header given as None is removed.
    """
    props = message.properties
    merged = {**(message.headers or {}), **headers}
    kept = {k: v for k, v in merged.items() if k not in _DROPPED_HEADERS and v is not None}
    envelope_props = {
        k: props[k]
        for k in ("message_id", "type", "correlation_id", "app_id", "timestamp")
        if props.get(k) is not None
    }
    producer.publish(
        message.body,
        exchange="",
        routing_key=queue_name,
        content_type=message.content_type or "application/octet-stream",
        content_encoding=message.content_encoding or "binary",
        delivery_mode=2,
        headers=kept,
        retry=False,
        **envelope_props,
    )
