"""Keeping nothing longer than needed (UK GDPR Art. 5(1)(e)): the retention schedule, decided
once, each period a setting; and the pace at which each service carries out its part
(docs/data-protection.md, ADR 0028).

Each service applies its own part from its relay's housekeeping, at most once every
RETENTION_CHECK_MINUTES, in one transaction, and logs how many records of each kind it
erased or anonymised (counts only, never who).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sanctuary.runtime import Service
    from sanctuary.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
# One service's part: expire what is due as of `now` in the unit of work; counts by kind.
Part = Callable[["UnitOfWork", datetime], Mapping[str, int]]


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept, in days (the environment variable of each is
    RETAIN_<FIELD>_DAYS, upper case)."""

    # A volunteer who applied and was never ready, counted from their last activity (the
    # sign-up, a check recorded, a change of their own, a move): erased everywhere.
    unready_volunteers: int = 365
    # A newcomer's request closed after their match ended, counted from that end: erased
    # everywhere.
    closed_requests: int = 365
    # An ended match's personal details (the explanation, a coordinator's reason): blanked;
    # its ids, status, score and times stay for the anonymous counts.
    ended_matches: int = 730
    # A DBS outcome and its date, counted from when it was recorded: purged (kept while the
    # check is valid: the record of a check, never the certificate, ADR 44).
    dbs: int = 1095
    # A place at an event, counted from the event's end: the name and address blanked.
    registrations: int = 183
    # An email's address and words, counted from when it was written: blanked.
    sent_emails: int = 90
    # A safeguarding concern and its case file, counted from its closing: erased (ADR 45).
    safeguarding: int = 2190
    # How often a service looks for what has expired, in minutes.
    check_minutes: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Retention:
        env = os.environ if env is None else env
        values: dict[str, float | int] = {}
        for spec in fields(cls):
            name = (
                "RETENTION_CHECK_MINUTES"
                if spec.name == "check_minutes"
                else f"RETAIN_{spec.name.upper()}_DAYS"
            )
            if env.get(name, "").strip():
                values[spec.name] = positive(name, env[name], float if "MINUTES" in name else int)
        return cls(**values)  # type: ignore[arg-type]

    def cutoff(self, kind: str, now: datetime) -> datetime:
        """Records of `kind` older than this are due."""
        return now - timedelta(days=getattr(self, kind))


def positive(name: str, raw: str, kind: Callable[[str], float | int]) -> float | int:
    """A setting's number, more than 0; ConfigError naming the setting otherwise."""
    from sanctuary.config import ConfigError

    try:
        value = kind(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0, got {raw!r}")
    return value


class Paced:
    """Run `job(now)` at most once every `every`, on the first call and then as time passes:
    what a relay's housekeeping (every few seconds) calls."""

    def __init__(self, every: timedelta, job: Callable[[datetime], object]) -> None:
        self.every, self.job = every, job
        self.last: datetime | None = None

    def __call__(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        if self.last is None or now - self.last >= self.every:
            self.last = now
            self.job(now)


def logged(service: str, counts: Mapping[str, int]) -> None:
    """One log line for what a pass expired: counts only, and only when there were some."""
    if any(counts.values()):
        log.info("retention applied", extra={"retention_service": service, "counts": dict(counts)})


def housekeeping(part: Part) -> Callable[[Service], None]:
    """A relay's housekeeping that carries out `part` at the schedule's pace, each pass in
    one unit of work, logged with its counts. A pass that fails is tried again next time."""
    paced: Paced | None = None

    def run(service: Service) -> None:
        nonlocal paced
        if paced is None:
            every = timedelta(minutes=service.config.retention.check_minutes)
            paced = Paced(every, lambda now: _pass(service, part, now))
        paced()

    return run


def _pass(service: Service, part: Part, now: datetime) -> None:
    with service.unit_of_work() as uow:
        counts = part(uow, now)
    logged(service.config.service, counts)
