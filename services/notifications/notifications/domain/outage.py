"""Whether the SMTP server is down, and when to try it again: backing off per destination,
not per email (ADR 0033). Pure: the mailer tells it what happened and when (monotonic
seconds), and asks it what to do next.

A good mail server does not let every queued email spend its own retries against a server
that is away. So: a lost or refused connection, a timeout or a 421 (the server closing)
says at once that the server is down; transient refusals (4xx) of several different emails
in a row, with no 250 between them, say so too. While it is down the mailer sends no
batches: it probes, one email at a time, after 1, 2, 4 … seconds up to a ceiling, and the
first 250 ends the outage, when every email waiting for a retry becomes due at once.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

# Transient refusals in a row, of at least two different emails, that mean the server and
# not the email: one email refused again and again (a full mailbox, greylisting) is its own.
REFUSALS_IN_A_ROW = 3
FIRST_PROBE_SECONDS = 1.0


class Next(enum.Enum):
    """What the mailer does now."""

    SEND = "send"  # a batch, as usual
    PROBE = "probe"  # one email, to see whether the server is back
    WAIT = "wait"  # the server is down and the next probe is not yet due


@dataclass
class Outage:
    """The mailer's view of its SMTP server: up, or down since when and probed how often."""

    probe_ceiling: float = 15.0  # seconds: the longest wait between two probes
    down_since: float | None = None
    next_probe_at: float = 0.0
    probes: int = 0
    _refused: list[uuid.UUID] = field(default_factory=list)

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def next(self, now: float) -> Next:
        if self.down_since is None:
            return Next.SEND
        return Next.PROBE if now >= self.next_probe_at else Next.WAIT

    def seconds_to_next(self, now: float) -> float:
        """How long until `next` says anything but WAIT."""
        return 0.0 if self.down_since is None else max(0.0, self.next_probe_at - now)

    def answered(self) -> bool:
        """The server took an email (or refused one for good: it is there). Returns whether
        this ends an outage, when the emails waiting for a retry should be made due."""
        ended = self.down_since is not None
        self.down_since, self.probes, self._refused = None, 0, []
        return ended

    def refused(self, delivery_id: uuid.UUID, now: float) -> bool:
        """A transient refusal (4xx but 421) of one email. Returns whether the server is now
        taken as down: several refusals in a row, of different emails."""
        if self.down_since is not None:
            self._schedule_probe(now)
            return True
        self._refused.append(delivery_id)
        recent = self._refused[-REFUSALS_IN_A_ROW:]
        if len(recent) == REFUSALS_IN_A_ROW and len(set(recent)) > 1:
            self.unreachable(now)
        return self.down_since is not None

    def unreachable(self, now: float) -> None:
        """No connection, a timeout, or a 421: the server is down (or still down, after a
        probe), and the next probe waits twice as long as the last, up to the ceiling."""
        if self.down_since is None:
            self.down_since = now
        self._schedule_probe(now)

    def _schedule_probe(self, now: float) -> None:
        wait = min(FIRST_PROBE_SECONDS * 2**self.probes, self.probe_ceiling)
        self.next_probe_at = now + wait
        self.probes += 1
