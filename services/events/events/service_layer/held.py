"""An event's row locked once a transaction, and its waiting list counted once: a batch of
decisions about one event (the worker's WORKER_BATCH, one transaction) pays for neither again
with each message. Kept in the session, for its current transaction only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sanctuary.db import keep, kept
from sqlalchemy.orm import Session

from events.adapters.models import Event

_KEY = "events.held"


@dataclass
class Held:
    """An event locked in this transaction, and how many are in its queue, once counted."""

    event: Event
    queue: int | None = None


def lock(session: Session, event_id: uuid.UUID) -> Event | None:
    """The event's row, locked (SELECT ... FOR UPDATE) the first time this transaction asks;
    None if there is no such event."""
    held = _of(session)
    if event_id not in held:
        event = session.get(Event, event_id, with_for_update=True)
        if event is None:
            return None
        held[event_id] = Held(event)
    return held[event_id].event


def join_queue(session: Session, event_id: uuid.UUID, count: Callable[[], int]) -> int:
    """The position of one more joining the locked event's queue now, at its end: `count`
    (how many are in it) is asked once a transaction, then kept up to date here."""
    held = _of(session)[event_id]
    if held.queue is None:
        held.queue = count()
    held.queue += 1
    return held.queue


def queue_changed(session: Session, event_id: uuid.UUID) -> None:
    """Someone left the queue or moved in it (a promotion, a cancellation): count again."""
    held = _of(session).get(event_id)
    if held is not None:
        held.queue = None


def _of(session: Session) -> dict[uuid.UUID, Held]:
    held: dict[uuid.UUID, Held] | None = kept(session, _KEY)
    return keep(session, _KEY, {}) if held is None else held
