"""The way out for a message that was not applied: a delay queue to come back from after a
growing delay, or the parking lot with the reason once it can never be applied or is out of
tries. Either way a copy is published (confirmed) before the original is acked."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Producer
from kombu.message import Message

from sanctuary import metrics, topology
from sanctuary.failures import describe
from sanctuary.vocabulary import MessageOutcome

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


class Redelivery:
    """Retries and parks one service's messages, publishing on a connection of its own."""

    def __init__(self, connection: Connection, service: str, queues: topology.ServiceQueues):
        # Not the consuming connection: waiting for a confirm there could dispatch the next
        # delivery in the middle of this one.
        self.producer_connection = connection.clone()
        self.service = service
        self.queues = queues

    def close(self) -> None:
        """Give back the publishing connection."""
        self.producer_connection.release()

    def retry_or_park(self, message: Message, exc: Exception) -> None:
        """Send `message` to the next delay queue, or park it once out of tries."""
        retries = int((message.headers or {}).get(RETRIES_HEADER, 0))
        if retries >= self.queues.max_retries:
            self.park(message, f"gave up after {retries + 1} tries: {describe(exc)}")
            return
        queue = self.queues.retry_queue(retries)
        metrics.MESSAGES.labels(
            self.service, message.properties.get("type") or "-", MessageOutcome.RETRIED
        ).inc()
        self._republish(
            message, queue.name, {RETRIES_HEADER: retries + 1, "x-last-error": describe(exc)}
        )
        message.ack()

    def park(self, message: Message, reason: str) -> None:
        """Move `message` to the parking lot with the reason in its headers."""
        props = message.properties
        metrics.MESSAGES.labels(self.service, props.get("type") or "-", MessageOutcome.PARKED).inc()
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
