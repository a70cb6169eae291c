"""The consumer base: every delivery rule is decided here and in the two modules beside it
(`batching`, `redelivery`), once, for every service.

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kombu import Connection
from kombu.message import Message
from kombu.mixins import ConsumerMixin
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from sanctuary import contracts, envelope, metrics, topology
from sanctuary.batching import Delivery, apply_together, handle, inbox_values
from sanctuary.db import SessionFactory
from sanctuary.failures import PermanentError, describe
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.redelivery import Redelivery
from sanctuary.unit_of_work import Handler
from sanctuary.vocabulary import MessageOutcome

log = logging.getLogger(__name__)

# Seconds between tries to reach the broker again: 0.5, 1, 1.5, then every 2.
RECONNECT_FIRST = 0.5
RECONNECT_MAX = 2.0


class StopWaitingForBroker(Exception):
    """A stop signal came while the worker was trying to reach its broker again."""


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
        self.service = service
        self.handlers = dict(handlers)
        self.sessions = sessions
        self.inbox_model = inbox_model
        self.outbox_model = outbox_model
        self.retry_delays_ms = retry_delays_ms
        self.queues = topology.service_queues(service, retry_delays_ms)
        self.redelivery = Redelivery(connection, service, self.queues)
        # A smaller prefetch than the batch would never let the broker send a full batch.
        self.prefetch = max(prefetch, batch_size)
        self.batch_size = batch_size
        self.batch: list[Delivery] = []
        self.batch_due_at = 0.0

    def run(self, _tokens: int = 1, **kwargs: Any) -> None:
        """Consume until should_stop; told to stop while the broker is away, leave at once."""
        try:
            super().run(_tokens, **kwargs)
        except StopWaitingForBroker:
            log.info("worker stopped while waiting for its broker")

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        """Each failed try to reach the broker again: say so, or leave if asked to stop."""
        if self.should_stop:
            raise StopWaitingForBroker from exc
        log.warning("worker cannot reach its broker, trying again in %.1f s: %r", interval, exc)

    @contextmanager
    def establish_connection(self) -> Iterator[Connection]:
        """ConsumerMixin's, with a short backoff: kombu's own grows to 30 s between tries, so
        a worker came back up to 16 s after the broker did; this one within RECONNECT_MAX."""
        with self.create_connection() as connection:
            connection.ensure_connection(
                self.on_connection_error,
                self.connect_max_retries,
                interval_start=RECONNECT_FIRST,
                interval_step=RECONNECT_FIRST,
                interval_max=RECONNECT_MAX,
            )
            yield connection

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
            self.redelivery.park(message, str(exc))
            return None
        except ValidationError as exc:
            self.redelivery.park(message, f"schema violation: {exc.messages}")
            return None
        return Delivery(message, env, event, handler)

    def _handle(self, delivery: Delivery) -> None:
        """The single-message path: apply in a transaction of its own, or retry, or park."""
        started = time.perf_counter()
        try:
            applied = self._apply(delivery)
        except PermanentError as exc:
            self.redelivery.park(delivery.message, str(exc))
            return
        except envelope.BROKER_ERRORS:
            raise  # the connection is gone: the message will be redelivered
        except Exception as exc:  # the one place that classifies failures: all else is transient
            log.warning(
                "handler failed: %s", describe(exc), extra=delivery.log_extra, exc_info=True
            )
            self.redelivery.retry_or_park(delivery.message, exc)
            return
        self._acked(delivery, applied, time.perf_counter() - started)

    def _acked(self, delivery: Delivery, applied: bool, seconds: float) -> None:
        """Count, log and ack a delivery whose transaction has committed."""
        env = delivery.env
        metrics.HANDLER_SECONDS.labels(self.service, env.type).observe(seconds)
        outcome = MessageOutcome.APPLIED if applied else MessageOutcome.DUPLICATE
        metrics.MESSAGES.labels(self.service, env.type, outcome).inc()
        said = MessageOutcome.APPLIED if applied else "skipped duplicate"
        log.info("%s %s", said, env.type, extra=delivery.log_extra)
        delivery.message.ack()

    def _apply(self, delivery: Delivery) -> bool:
        """Run the handler and record the inbox row in one transaction; False if already done."""
        env = delivery.env
        try:
            with self.sessions.begin() as session:
                if session.get(self.inbox_model, env.message_id) is not None:
                    return False
                handle(session, self.outbox_model, delivery)
                session.add(self.inbox_model(**inbox_values(env)))
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
            applied = apply_together(self.sessions, self.inbox_model, self.outbox_model, batch)
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
