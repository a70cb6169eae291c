"""The guard in front of every handler (ADR 0025): a message about an erased person is
dropped with a log line (and recorded in the inbox as applied), never applied.

The check is one tombstone query a message; a batch of messages in one transaction (the
worker's WORKER_BATCH) asks once for all of them (`prefetch`), and each message's check then
reads that answer. Writing a tombstone (sanctuary.erasure.bury, in the same transaction)
drops it, so a message after an erasure in the same batch is checked afresh."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanctuary.db import keep, kept
from sanctuary.erasure import (
    CHECKED,
    ERASURE_TYPES,
    ID_KIND,
    Keys,
    TombstoneMixin,
    aware,
    keys_of_message,
)
from sanctuary.unit_of_work import Handler, UnitOfWork

log = logging.getLogger(__name__)


def is_void(
    session: Session, tombstones: type[TombstoneMixin], keys: Keys, accepted_at: datetime | None
) -> bool:
    """Whether a message with these keys, accepted at `accepted_at`, is about an erased person."""
    if not keys:
        return False
    wanted = keys.ids | keys.addresses
    prefetched = kept(session, CHECKED)
    if prefetched is not None and wanted <= prefetched[0]:
        found = [(kind, at) for key, kind, at in prefetched[1] if key in wanted]
    else:
        found = [(kind, at) for _key, kind, at in _stones(session, tombstones, wanted)]
    for kind, requested_at in found:
        if kind == ID_KIND:
            return True
        if accepted_at is None or accepted_at <= aware(requested_at):
            return True
    return False


def prefetch(session: Session, tombstones: type[TombstoneMixin], keys: Iterable[Keys]) -> None:
    """Look up the tombstones of a batch's messages at once, for their checks to read."""
    wanted = frozenset().union(*(k.ids | k.addresses for k in keys))
    stones = _stones(session, tombstones, wanted) if wanted else []
    keep(session, CHECKED, (wanted, stones))


def _stones(
    session: Session, tombstones: type[TombstoneMixin], wanted: Iterable[str]
) -> list[tuple[str, str, datetime]]:
    query = select(tombstones.key, tombstones.kind, tombstones.requested_at)
    return [tuple(row) for row in session.execute(query.where(tombstones.key.in_(wanted)))]  # type: ignore[misc]


def guarded(
    handlers: Mapping[str, Handler], tombstones: type[TombstoneMixin], secret: str
) -> dict[str, Handler]:
    """Every handler behind the one check; each guarded handler can also `prefetch` the
    check of a batch's messages (all of a service's guarded handlers share its tombstones)."""

    def guard(handler: Handler) -> Handler:
        def guarded_handler(message: Any, uow: UnitOfWork) -> None:
            keys = keys_of_message(message, secret)
            if is_void(uow.session, tombstones, keys, uow.accepted_at):
                log.info(
                    "dropped %s: it is about an erased person",
                    message.TYPE,
                    extra={"message_id": uow.message_id, "correlation_id": uow.correlation_id},
                )
                return
            handler(message, uow)

        def prefetch_batch(session: Session, messages: Sequence[Any]) -> None:
            prefetch(session, tombstones, [keys_of_message(m, secret) for m in messages])

        guarded_handler.__name__ = getattr(handler, "__name__", "handler")
        guarded_handler.__doc__ = handler.__doc__
        guarded_handler.prefetch = prefetch_batch  # type: ignore[attr-defined]
        return guarded_handler

    return {
        message_type: handler if message_type in ERASURE_TYPES else guard(handler)
        for message_type, handler in handlers.items()
    }
