"""The trials' mail server: a real SMTP server (aiosmtpd) that keeps, per recipient, when each
email arrived, and can be told to refuse: 451 to everything for a while (an outage), 550 to
some addresses always (mailboxes that do not exist)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sanctuary_dev.mailsink import free_port

BOUNCE_PREFIX = "bounce-"  # addresses the server answers 550 for, always


class TrialMail:
    """aiosmtpd handler: what arrived, what was refused, and whether to refuse all (451)."""

    def __init__(self) -> None:
        self.arrived: defaultdict[str, list[float]] = defaultdict(list)
        self.refused: defaultdict[str, int] = defaultdict(int)  # 451s, by recipient
        self.bounced: defaultdict[str, int] = defaultdict(int)  # 550s, by recipient
        self.failing = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        to = str(envelope.rcpt_tos[0]).lower()
        with self.lock:
            if self.failing.is_set():
                self.refused[to] += 1
                return "451 4.3.0 Try again later"
            if to.startswith(BOUNCE_PREFIX):
                self.bounced[to] += 1
                return "550 5.1.1 No such mailbox here"
            self.arrived[to].append(time.time())
        return "250 Message accepted for delivery"

    def emails_to(self, address: str) -> int:
        with self.lock:
            return len(self.arrived.get(address.lower(), ()))

    def last_arrival(self, addresses: Any) -> float:
        """When the last email to any of `addresses` arrived (0 if none did)."""
        with self.lock:
            times = [max(self.arrived[a]) for a in addresses if self.arrived.get(a)]
        return max(times, default=0.0)

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time between two emails arriving (or `start` and the first, or the last
        and `end`) within [start, end]: how long the flow stopped."""
        with self.lock:
            times = sorted(t for arrivals in self.arrived.values() for t in arrivals)
        inside = [start, *(t for t in times if start < t < end), end]
        return max(b - a for a, b in itertools.pairwise(inside))

    def first_arrival_after(self, moment: float) -> float | None:
        """When the first email after `moment` arrived, if one did."""
        with self.lock:
            times = [t for arrivals in self.arrived.values() for t in arrivals if t > moment]
        return min(times, default=None)


def start() -> tuple[Controller, TrialMail]:
    handler = TrialMail()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, handler
