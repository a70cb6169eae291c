"""The records an erasure reaches beyond a service's own tables (ADR 0025): its outbox rows
about the person, the messages naming them in its parking lot and delay queues; and a row
as plain JSON for a subject-access export."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kombu import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanctuary import contracts, topology
from sanctuary.erasure import ERASURE_TYPES, Keys, Sweeper, aware, keys_of_message
from sanctuary.links import address_hash
from sanctuary.messaging_models import OutboxMixin

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
            body = message.body  # a text body comes decoded (its content_encoding)
            body = body if isinstance(body, bytes) else str(body or "").encode()
            if kind not in ERASURE_TYPES and mentions(body, keys, secret):
                message.ack()
                removed += 1
        return removed
    finally:
        channel.close()  # what was not acked goes back where it was
