"""The events clock process (one replica): every tick, the reminders that have come due
(`events.service_layer.reminders` says how each is announced exactly once)."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime

from sanctuary.failures import describe
from sanctuary.runtime import Service
from sqlalchemy.exc import SQLAlchemyError

from events.service_layer import reminders

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0


class Clock:
    """Announces due reminders every tick."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def tick(self, now: datetime, stopping: threading.Event | None = None) -> int:
        """Announce every reminder due by `now` and not yet announced; returns how many.
        Once `stopping` is set, ends after the event in hand: the next tick does the rest."""
        with self.service.sessions() as session:
            soon = reminders.events_starting_soon(session, now)
        return sum(
            self._remind(event_id, now)
            for event_id in soon
            if stopping is None or not stopping.is_set()
        )

    def _remind(self, event_id: uuid.UUID, now: datetime) -> int:
        # One transaction an event, under its row lock: a second clock waits, then finds
        # the reminders sent.
        with self.service.unit_of_work() as uow:
            return reminders.announce_due(uow, event_id, now)

    def run(self, stopping: threading.Event) -> None:
        """Tick until `stopping` is set."""
        log.info("events clock started")
        while not stopping.is_set():
            try:
                sent = self.tick(datetime.now(UTC), stopping)
                if sent:
                    log.info("announced %d reminders", sent)
            except SQLAlchemyError as exc:
                log.warning("events clock cannot reach its database: %s", describe(exc))
            stopping.wait(TICK_SECONDS)
        log.info("events clock stopped")
