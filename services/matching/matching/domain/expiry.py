"""When a volunteer's dated checks run out (ADR 44), pure: the reminder owed before, the lapse
on the day, and how a check stands for the dashboard. Times are aware; a check recorded at
`since` runs out `validity` days later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sanctuary.validity import REMINDER_DAYS
from sanctuary.vocabulary import Check, Standing


@dataclass(frozen=True)
class Reminder:
    """A reminder owed: `check` runs out at `runs_out`, `days` (60, 30 or 7) being the
    threshold crossed; `done` are the reminders it makes stale ("dbs:60" once "dbs:30" goes)."""

    check: Check
    runs_out: datetime
    days: int
    done: tuple[str, ...]


def mark(check: Check, days: int) -> str:
    """How a reminder sent is remembered on the volunteer: "dbs:30"."""
    return f"{check}:{days}"


def reminder(check: Check, runs_out: datetime, now: datetime, sent: list[str]) -> Reminder | None:
    """The most pressing reminder crossed by `now` and not sent yet; None when nothing is owed
    (too early, sent already, or run out: a lapse, not a reminder). A clock that was away
    sends the one that is due now, never the stale ones before it."""
    if now >= runs_out:
        return None
    crossed = [days for days in REMINDER_DAYS if now >= runs_out - timedelta(days=days)]
    if not crossed:
        return None
    days = min(crossed)
    if mark(check, days) in sent:
        return None
    done = tuple(mark(check, d) for d in REMINDER_DAYS if d >= days)
    return Reminder(check, runs_out, days, done)


def lapsed(runs_out: datetime, now: datetime) -> bool:
    """Whether the check has run out by `now` (it lapses on the moment, not the day after)."""
    return now >= runs_out


def standing(runs_out: datetime | None, now: datetime) -> Standing | None:
    """valid, running out (within the first reminder's days) or lapsed; None for no date."""
    if runs_out is None:
        return None
    if now >= runs_out:
        return Standing.LAPSED
    if now >= runs_out - timedelta(days=max(REMINDER_DAYS)):
        return Standing.RUNNING_OUT
    return Standing.VALID
