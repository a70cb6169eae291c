"""The clock process (one replica): a matching run each day, and check-ins as they fall due.

Daily runs halve the wait compared with runs every ten days (docs/matching.md). A run proposes only
for newcomers still waiting, so a restart that runs twice in a day proposes nothing twice.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, time

from sanctuary import logs
from sanctuary.failures import describe
from sanctuary.runtime import Service
from sanctuary.unit_of_work import new_correlation_id
from sqlalchemy.exc import SQLAlchemyError

from matching.service_layer import coordination, expiry

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0


class RunFailed(RuntimeError):
    """The day's run ended without its answer (its process failed, or was killed)."""


def run_apart(correlation_id: str) -> tuple[int, int]:
    """The day's run in a fresh Python process of its own (this module run as a script, with
    the clock's environment): the solver's libraries (numpy, OR-Tools, about 35 MiB) and the
    run's data leave with it instead of staying in the clock's process all day. How many
    proposed, how many still waiting."""
    done = subprocess.run(
        [sys.executable, "-m", __name__, correlation_id],
        stdout=subprocess.PIPE,  # its logs go where the clock's go (stderr)
        check=False,
    )
    if done.returncode != 0:
        raise RunFailed(f"the daily run's process ended with {done.returncode}")
    proposed, waiting = json.loads(done.stdout)
    return int(proposed), int(waiting)


def daily_run(correlation_id: str) -> tuple[int, int]:
    """The day's run, in the process `run_apart` starts."""
    from matching.bootstrap import bootstrap

    service = bootstrap()
    logs.configure(service.config.service, service.config.log_level)
    try:
        with service.unit_of_work(correlation_id) as uow:
            result = coordination.start_run(uow, dry_run=False)
        return len(result.proposals), len(result.unmatched)
    finally:
        service.engine.dispose()


class Clock:
    """Runs the matcher daily at `run_at` (UTC); every tick, announces due check-ins and
    watches volunteers' checks running out (ADR 44)."""

    def __init__(self, service: Service, run_at: time) -> None:
        self.service = service
        self.run_at = run_at
        self.last_run: date | None = None

    def tick(self, now: datetime) -> None:
        """One round of timed work."""
        correlation_id = new_correlation_id()
        with self.service.unit_of_work(correlation_id) as uow:
            due = coordination.announce_due_checkins(uow, now)
        if due:
            log.info("announced %d check-ins", due, extra={"correlation_id": correlation_id})
        with self.service.unit_of_work(correlation_id) as uow:
            reminded, lapsed = expiry.watch(uow, now, self.service.config.validity)
        if reminded or lapsed:
            log.info(
                "checks running out: %d reminders, %d lapsed",
                reminded,
                lapsed,
                extra={"correlation_id": correlation_id},
            )
        if self.last_run != now.date() and now.time() >= self.run_at:
            proposed, waiting = run_apart(correlation_id)
            self.last_run = now.date()
            log.info(
                "daily run proposed %d matches, %d still waiting",
                proposed,
                waiting,
                extra={"correlation_id": correlation_id},
            )

    def run(self, stopping: threading.Event) -> None:
        """Tick until `stopping` is set."""
        log.info("clock started; daily run at %s UTC", self.run_at.isoformat("minutes"))
        while not stopping.is_set():
            try:
                self.tick(datetime.now(UTC))
            except SQLAlchemyError as exc:
                log.warning("clock cannot reach its database: %s", describe(exc))
            except RunFailed as exc:  # tried again at the next tick
                log.warning("%s", exc)
            stopping.wait(TICK_SECONDS)
        log.info("clock stopped")


if __name__ == "__main__":  # run_apart's child
    print(json.dumps(daily_run(sys.argv[1])))
