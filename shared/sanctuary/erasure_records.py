"""The records an erasure reaches beyond a service's own tables (ADR 0025): its outbox rows
about the person, the messages naming them in its parking lot and delay queues; and a row
or a queued message as plain JSON for a subject-access export."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from amqp.exceptions import ChannelError as AmqpChannelError
from kombu import Connection
from kombu.exceptions import ChannelError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanctuary import contracts, topology
from sanctuary.config import ServiceConfig
from sanctuary.erasure import ERASURE_TYPES, Keys, Sweeper, aware, keys_of_message
from sanctuary.links import address_hash
from sanctuary.messaging_models import OutboxMixin
from sanctuary.redelivery import REASON_HEADER

log = logging.getLogger(__name__)


# --- the outbox: facts about the person not yet published, or kept after publishing ----------


def outbox_about(
    session: Session, outbox: type[OutboxMixin], keys: Keys, secret: str
) -> list[OutboxMixin]:
    """The outbox rows about the person: those the guard would void at a consumer (their
    contract names the person), or, for a body that does not load, any that mention them."""
    found = []
    rows = session.scalars(select(outbox).execution_options(yield_per=500))
    for row in rows:
        if row.type in ERASURE_TYPES:
            continue
        try:
            message = contracts.load(row.type, json.loads(row.body))
        except (ValueError, contracts.UnknownMessageType):
            if mentions(row.body.encode(), keys, secret):
                found.append(row)
            continue
        named = keys_of_message(message, secret)
        if named.ids & keys.ids or named.addresses & keys.addresses:
            found.append(row)
    return found


def purge_outbox(session: Session, outbox: type[OutboxMixin], keys: Keys, secret: str) -> int:
    """Delete the outbox rows about the person, sent or not: an unsent one is never published.
    Returns how many."""
    rows = outbox_about(session, outbox, keys, secret)
    for row in rows:
        session.delete(row)
    return len(rows)


def exported_row(row: Any, columns: Iterable[str] | None = None) -> dict[str, Any]:
    """A table row as plain JSON for a subject-access export (ids and times as text)."""
    names = columns or [c.key for c in row.__table__.columns]
    return {name: _plain(getattr(row, name)) for name in names}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return aware(value).isoformat()
    return value


# --- the queues: parked and delayed messages naming the person --------------------------------

_EMAIL = re.compile(r"[^\s\"'<>,;:@\\]+@[^\s\"'<>,;:@\\]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def mentions(body: bytes, keys: Keys, secret: str) -> bool:
    """Whether a message body names any of `keys`: any id in it, or any address-shaped text
    whose keyed hash is one of them. Read as text, so a body that is not even JSON (the
    reason it may have been parked) is searched too."""
    text = body.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):  # JSON escapes (\u0040) would hide an address
        text = json.dumps(json.loads(text), ensure_ascii=False)
    if any(m.group(0).lower() in keys.ids for m in _UUID.finditer(text)):
        return True
    return any(address_hash(secret, m.group(0)) in keys.addresses for m in _EMAIL.finditer(text))


def sweeper(amqp_url: str, service: str, delays: tuple[int, ...], secret: str) -> Sweeper:
    """A sweep of `service`'s parking lot and delay queues: each message naming the keys is
    removed (acked), the rest are put back (the channel closes unacked). Idempotent."""

    def sweep(keys: Keys) -> int:
        queues = topology.service_queues(service, delays)
        removed = 0
        with Connection(amqp_url) as connection:
            for queue in (queues.parked, *queues.retries):
                removed += _sweep_queue(connection, queue, keys, secret)
        if removed:
            log.info("swept %d queued messages about an erased person", removed)
        return removed

    return sweep


def queued_about(
    amqp_url: str, service: str, delays: tuple[int, ...], keys: Keys, secret: str
) -> list[dict[str, Any]]:
    """For a subject-access export: the messages naming the person in `service`'s parking lot
    and delay queues, each with its queue, type, why it waits and its body. Read and put back
    (the channel closes unacked, as a sweep's untouched messages); a queue not declared yet
    holds nothing and is not made."""
    queues = topology.service_queues(service, delays)
    found: list[dict[str, Any]] = []
    with Connection(amqp_url, connect_timeout=5) as connection:
        for queue in (queues.parked, *queues.retries):
            found.extend(_read_queue(connection, queue, keys, secret))
    return found


def with_queued(
    found: dict[str, Any], config: ServiceConfig, email: str | None, asked: Iterable[Any]
) -> dict[str, Any]:
    """A service's subject read (`records`, `ids`), with the messages naming the person that
    wait in its queues as `records.queued_messages`: by the address, the ids asked for and
    the ids it found."""
    ids = {str(i) for i in asked} | {str(i) for kind in found.get("ids", {}).values() for i in kind}
    hashed = [address_hash(config.link_secret, email)] if email else []
    keys = Keys(frozenset(ids), frozenset(hashed))
    found["records"]["queued_messages"] = queued_about(
        config.amqp_url, config.service, config.retry_delays_ms, keys, config.link_secret
    )
    return found


def _read_queue(
    connection: Connection, queue: Any, keys: Keys, secret: str
) -> list[dict[str, Any]]:
    channel = connection.channel()
    try:
        bound = queue(channel)
        try:
            _, count, _ = bound.queue_declare(passive=True)
        except (ChannelError, AmqpChannelError):
            return []  # not declared on this broker yet: nothing waits in it
        found = []
        for _ in range(count):
            message = bound.get(no_ack=False)
            if message is None:
                break
            body = _bytes(message.body)
            if message.properties.get("type") not in ERASURE_TYPES and mentions(body, keys, secret):
                found.append(_exported_message(queue.name, message, body))
        return found
    finally:
        with contextlib.suppress(Exception):
            channel.close()  # every message goes back where it was


def _exported_message(queue: str, message: Any, body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8", errors="replace")
    try:
        content: Any = json.loads(text)
    except ValueError:
        content = text
    return {
        "queue": queue,
        "type": message.properties.get("type"),
        "message_id": message.properties.get("message_id"),
        "reason": (message.headers or {}).get(REASON_HEADER),
        "body": content,
    }


def _bytes(body: Any) -> bytes:
    """A text body comes decoded (its content_encoding)."""
    return body if isinstance(body, bytes) else str(body or "").encode()


def _sweep_queue(connection: Connection, queue: Any, keys: Keys, secret: str) -> int:
    channel = connection.channel()
    try:
        bound = queue(channel)
        bound.declare()
        _, count, _ = bound.queue_declare(passive=True)
        removed = 0
        for _ in range(count):
            message = bound.get(no_ack=False)
            if message is None:
                break
            kind = message.properties.get("type")
            if kind not in ERASURE_TYPES and mentions(_bytes(message.body), keys, secret):
                message.ack()
                removed += 1
        return removed
    finally:
        channel.close()  # what was not acked goes back where it was
