"""The parking lot, for operators: list parked messages with their reasons, and replay them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Producer
from kombu.message import Message

from sanctuary import topology
from sanctuary.redelivery import REASON_HEADER, RETRIES_HEADER, republish


@dataclass(frozen=True)
class ParkedMessage:
    """What an operator needs to decide about a parked message; never its body (personal data)."""

    message_id: str
    type: str
    correlation_id: str
    reason: str
    parked_at: str
    retries: int
    body_bytes: int


# A replayed message starts its tries afresh and forgets why it was parked.
_FRESH = {
    RETRIES_HEADER: None,
    REASON_HEADER: None,
    "x-parked-at": None,
    "x-parked-by": None,
    "x-last-error": None,
}


def _describe(message: Message) -> ParkedMessage:
    props, headers = message.properties, dict(message.headers or {})
    # A message the broker dead-lettered itself (delivery limit reached) has no reason of ours.
    reason = (
        headers.get(REASON_HEADER)
        or f"dead-lettered by the broker: {headers.get('x-first-death-reason', 'unknown')}"
    )
    return ParkedMessage(
        message_id=str(props.get("message_id") or "-"),
        type=str(props.get("type") or "-"),
        correlation_id=str(props.get("correlation_id") or "-"),
        reason=str(reason),
        parked_at=str(headers.get("x-parked-at") or _death_time(headers)),
        retries=int(headers.get(RETRIES_HEADER, 0)),
        body_bytes=len(message.body or b""),
    )


def _death_time(headers: dict[str, Any]) -> str:
    deaths = headers.get("x-death") or [{}]
    when = deaths[0].get("time")
    return when.replace(tzinfo=UTC).isoformat() if isinstance(when, datetime) else "-"


def _drain(
    connection: Connection, service: str, delays: tuple[int, ...]
) -> tuple[Any, list[Message]]:
    """Take every parked message without acking it; closing the channel puts them all back."""
    queues = topology.service_queues(service, delays)
    channel = connection.channel()
    topology.declare_all(channel, delays)
    parked = queues.parked(channel)
    _, count, _ = parked.queue_declare(passive=True)
    messages = []
    for _ in range(count):
        message = parked.get(no_ack=False)
        if message is None:
            break
        messages.append(message)
    return channel, messages


def list_parked(
    connection: Connection, service: str, delays: tuple[int, ...]
) -> list[ParkedMessage]:
    """Every message in `service`'s parking lot, oldest first, left where it is."""
    channel, messages = _drain(connection, service, delays)
    try:
        return [_describe(m) for m in messages]
    finally:
        channel.close()


def replay(
    connection: Connection, service: str, delays: tuple[int, ...], message_ids: Iterable[str] | None
) -> list[str]:
    """Send parked messages back to the service's queue (all when `message_ids` is None).

    Each is republished with a confirm before it is acked, so a crash in between leaves it in
    the parking lot as well as the queue: it may be applied once, never lost (the inbox
    makes a second copy a no-op).
    """
    wanted = None if message_ids is None else set(message_ids)
    main = topology.queue_name(service)
    channel, messages = _drain(connection, service, delays)
    producer = Producer(connection.clone())
    replayed = []
    try:
        for message in messages:
            message_id = str(message.properties.get("message_id") or "")
            if wanted is not None and message_id not in wanted:
                continue
            republish(producer, message, main, _FRESH)
            message.ack()
            replayed.append(message_id)
    finally:
        channel.close()
        producer.connection.release()
    return replayed
