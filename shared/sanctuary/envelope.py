"""The message envelope in AMQP properties, and publishing with confirms.

Properties: message_id (UUID), type, timestamp, correlation_id, app_id, content_type
application/json, delivery_mode 2 (persistent); header schema_version. The body is the data.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from amqp.exceptions import AMQPError, MessageNacked
from kombu import Connection, Producer
from kombu.exceptions import KombuError
from kombu.message import Message

CONTENT_TYPE = "application/json"
# What a lost, refused or unconfirmed publish raises (socket errors are OSError).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OSError, AMQPError, KombuError, MessageNacked)


class BadEnvelope(ValueError):
    """The message cannot be understood at all: no type, no id, or a body that is not JSON."""


@dataclass(frozen=True)
class Envelope:
    """One message as it travels: the envelope fields and the raw JSON body."""

    message_id: str
    type: str
    correlation_id: str
    app_id: str
    timestamp: int
    schema_version: int
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        """The decoded body; raises BadEnvelope when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadEnvelope(f"body is not JSON: {exc}") from None


def new_message_id() -> str:
    """Message ids are random UUIDs."""
    return str(uuid.uuid4())


def now_timestamp() -> int:
    """AMQP timestamps are whole seconds since the epoch."""
    return int(datetime.now(UTC).timestamp())


def from_message(message: Message) -> Envelope:
    """Read the envelope of a received message; raises BadEnvelope when it is missing parts."""
    props = message.properties
    headers = dict(message.headers or {})
    message_id, message_type = props.get("message_id"), props.get("type")
    if not message_id or not message_type:
        raise BadEnvelope("message_id and type properties are required")
    if message.content_type != CONTENT_TYPE:
        raise BadEnvelope(f"content_type must be {CONTENT_TYPE}, not {message.content_type!r}")
    return Envelope(
        message_id=str(message_id),
        type=str(message_type),
        correlation_id=str(props.get("correlation_id") or message_id),
        app_id=str(props.get("app_id") or "unknown"),
        timestamp=int(props.get("timestamp") or 0),
        schema_version=int(headers.get("schema_version") or 0),
        body=message.body if isinstance(message.body, bytes) else str(message.body).encode(),
        headers=headers,
    )


# No broker answer (a confirm, a declare-ok) may be waited for longer than this: a hung wait
# becomes an error, and the relay or worker reconnects and tries again. RabbitMQ has had
# bugs where concurrent declarations of one queue never answered.
BROKER_READ_TIMEOUT = 10.0


def connect(url: str, *, heartbeat: int = 0) -> Connection:
    """A connection whose channels all use publisher confirms: publish returns once the broker
    has the message (persisted, for a durable queue) and raises if the broker refuses it."""
    return Connection(
        url,
        transport_options={
            "confirm_publish": True,
            "read_timeout": BROKER_READ_TIMEOUT,
            "write_timeout": BROKER_READ_TIMEOUT,
        },
        heartbeat=heartbeat,
        connect_timeout=5,
    )


def publish(
    producer: Producer,
    envelope: Envelope,
    *,
    exchange: str,
    routing_key: str,
    headers: dict[str, Any] | None = None,
) -> None:
    """Publish `envelope` and wait for the broker's confirm."""
    producer.publish(
        envelope.body,
        exchange=exchange,
        routing_key=routing_key,
        content_type=CONTENT_TYPE,
        content_encoding="utf-8",
        delivery_mode=2,
        message_id=envelope.message_id,
        type=envelope.type,
        correlation_id=envelope.correlation_id,
        app_id=envelope.app_id,
        timestamp=envelope.timestamp,
        headers={"schema_version": envelope.schema_version, **(headers or {})},
        retry=False,
    )
