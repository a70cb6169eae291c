"""The consumer base: every delivery rule is decided here, once, for every service.

- A message is applied and its id recorded in the inbox in one transaction; the ack comes
  after the commit, so a crash before it redelivers, and the inbox makes the redelivery a no-op.
- A permanent failure (no envelope, body not JSON, unknown type, schema violation, or a handler
  raising PermanentError) parks the message with the reason in its headers.
- Any other failure is transient: the message goes to the next delay queue and comes back
  after a growing delay, a bounded number of times, then is parked.
- SIGTERM finishes the message in hand, then stops.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Producer
from kombu.message import Message
from kombu.mixins import ConsumerMixin
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sanctuary import contracts, envelope, metrics, outbox, redact, topology
from sanctuary.db import SessionFactory
from sanctuary.messaging_models import InboxMixin, OutboxMixin

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


class PermanentError(Exception):
    """The message can never be applied as it is: park it with this reason."""


@dataclass
class Context:
    """What a handler gets besides its message: the open transaction and a way to announce."""

    session: Session
    message_id: str
    correlation_id: str
    outbox_model: type[OutboxMixin]

    def publish(self, message: Any) -> str:
        """Announce `message` through the outbox, in this handler's transaction."""
        return outbox.enqueue(
            self.session, self.outbox_model, message, correlation_id=self.correlation_id
        )


Handler = Callable[[Any, Context], None]


def describe(exc: BaseException) -> str:
    """A short description of a failure for headers and logs, with email addresses blanked."""
    first_line = redact.emails((str(exc).splitlines() or [""])[0])[:200]
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__


class Worker(ConsumerMixin):  # type: ignore[misc]
    """Consumes one service's queue and applies each message with its handler."""

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
    ) -> None:
        expected = set(topology.SUBSCRIPTIONS[service])
        if set(handlers) != expected:
            raise ValueError(
                f"{service} handlers {sorted(handlers)} != subscriptions {sorted(expected)}"
            )
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
        self.prefetch = prefetch

    def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
        """One consumer on the service's main queue, decoding nothing itself (on_message)."""
        topology.declare_all(channel, self.retry_delays_ms)
        return [
            consumer_cls(
                queues=[self.queues.main], on_message=self.on_message, prefetch_count=self.prefetch
            )
        ]

    def on_message(self, message: Message) -> None:
        """Apply, skip, retry or park one delivery; ack only once its fate is safely recorded."""
        try:
            env = envelope.from_message(message)
            handler = self.handlers.get(env.type)
            if handler is None:
                raise PermanentError(f"unknown message type {env.type!r}")
            event = contracts.load(env.type, env.json())
        except (envelope.BadEnvelope, PermanentError) as exc:
            self._park(message, str(exc))
            return
        except ValidationError as exc:
            self._park(message, f"schema violation: {exc.messages}")
            return
        extra = {"message_id": env.message_id, "correlation_id": env.correlation_id}
        started = time.perf_counter()
        try:
            applied = self._apply(env, event, handler)
        except PermanentError as exc:
            self._park(message, str(exc))
            return
        except envelope.BROKER_ERRORS:
            raise  # the connection is gone: the message will be redelivered
        except Exception as exc:  # the one place that classifies failures: all else is transient
            log.warning("handler failed: %s", describe(exc), extra=extra, exc_info=True)
            self._retry_or_park(message, exc)
            return
        metrics.HANDLER_SECONDS.labels(self.service, env.type).observe(
            time.perf_counter() - started
        )
        metrics.MESSAGES.labels(self.service, env.type, "applied" if applied else "duplicate").inc()
        log.info("%s %s", "applied" if applied else "skipped duplicate", env.type, extra=extra)
        message.ack()

    def _apply(self, env: envelope.Envelope, event: Any, handler: Handler) -> bool:
        """Run the handler and record the inbox row in one transaction; False if already done."""
        try:
            with self.sessions.begin() as session:
                if session.get(self.inbox_model, env.message_id) is not None:
                    return False
                handler(
                    event, Context(session, env.message_id, env.correlation_id, self.outbox_model)
                )
                session.add(
                    self.inbox_model(
                        message_id=env.message_id, type=env.type, processed_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            # Another worker applied a copy of this message and committed first.
            with self.sessions() as session:
                if session.get(self.inbox_model, env.message_id) is not None:
                    return False
            raise
        return True

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
