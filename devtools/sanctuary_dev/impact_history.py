"""A made-up but plausible history of a network, as the tallies the services would have kept
(ADR 42): volunteers signing up and becoming ready weeks later, newcomers asking and waiting
(less long as the year goes on), matches made, met, checked in on and ended, a training and
a social a month per group, and the emails of it all. Seeded: the same history every time.

Used by `bench.impact` (300 groups over a year) and by the browser test's Impact page
picture; the figures the report draws from it are checked by the integration test's own
history, not by this one."""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sanctuary.vocabulary import (
    DeliveryStatus,
    EventKind,
    EventMeasure,
    MatchEnding,
    MatchingKind,
    MatchingMeasure,
    MatchStatus,
    NewcomerStatus,
    RegistrationStatus,
    VolunteerStatus,
)

Key = tuple[date, str, str, str]  # day, group, kind, measure
M, V, N, P = MatchingMeasure, MatchingKind.VOLUNTEER, MatchingKind.NEWCOMER, MatchingKind.MATCH
ENDINGS = [e for e in MatchEnding if e != MatchEnding.WITHDRAWN]


class History:
    """The tallies of each service, as they would stand after `days` days."""

    def __init__(self, first: date, days: int) -> None:
        self.first, self.days = first, days
        self.services: dict[str, Counter[Key]] = {
            "matching": Counter(),
            "events": Counter(),
            "notifications": Counter(),
        }

    def count(self, service: str, d: int, group: str, kind: str, measure: str, n: int = 1) -> None:
        if 0 <= d < self.days and n:
            self.services[service][(self.first + timedelta(days=d), group, kind, measure)] += n

    def move(self, d: int, group: str, kind: str, old: str | None, new: str) -> None:
        """A row moving from status `old` to `new` on day `d` (the stocks)."""
        if old is not None:
            self.count("matching", d, group, kind, f"now:{old}", -1)
        self.count("matching", d, group, kind, f"now:{new}")

    def rows(self, service: str) -> list[dict[str, Any]]:
        return [
            {"day": day, "group_key": group, "kind": kind, "measure": measure, "count": n}
            for (day, group, kind, measure), n in self.services[service].items()
        ]


def history(groups: Sequence[uuid.UUID], first: date, days: int, seed: int = 18) -> History:
    """The tallies of `groups` from `first` for `days` days."""
    made, rng = History(first, days), random.Random(seed)
    for group_id in groups:
        group = str(group_id)
        busy = rng.uniform(0.4, 1.6)  # groups differ in size
        for d in range(days):
            for _ in range(_poisson(rng, 0.8 * busy)):
                _volunteer(made, rng, group, d)
            for _ in range(_poisson(rng, 0.4 * busy)):
                _newcomer(made, rng, group, d)
            if d % 30 == 9:
                _event(made, rng, group, d, EventKind.TRAINING, 12, busy)
            if d % 30 == 23:
                _event(made, rng, group, d, EventKind.SOCIAL, 30, busy)
    return made


def _volunteer(made: History, rng: random.Random, group: str, d: int) -> None:
    made.count("matching", d, group, V, M.SIGNED_UP)
    made.move(d, group, V, None, VolunteerStatus.APPLIED)
    made.count("notifications", d, group, "volunteer_welcome", DeliveryStatus.SENT)
    if rng.random() < 0.65:
        after = int(rng.gammavariate(3, 8))
        made.count("matching", d + after, group, V, M.READY)
        made.count("matching", d + after, group, V, f"{M.READY_AFTER}:{after}")
        made.move(d + after, group, V, VolunteerStatus.APPLIED, VolunteerStatus.READY)


def _newcomer(made: History, rng: random.Random, group: str, d: int) -> None:
    made.count("matching", d, group, N, M.REQUESTED)
    made.move(d, group, N, None, NewcomerStatus.WAITING)
    made.count("notifications", d, group, "newcomer_request_received", DeliveryStatus.SENT)
    shorter = 1 - 0.5 * d / made.days  # the scheme gets quicker through the year
    wait = int(rng.gammavariate(2, 18 * shorter))
    at = d + wait
    made.count("matching", at, group, P, M.PROPOSED)
    made.count("matching", at, group, P, M.APPROVED)
    made.count("matching", at, group, N, f"{M.MATCHED_AFTER}:{wait}")
    made.move(at, group, N, NewcomerStatus.WAITING, NewcomerStatus.MATCHED)
    made.move(at, group, P, None, MatchStatus.APPROVED)
    made.count("notifications", at, group, "match_introduction", DeliveryStatus.SENT, 2)
    met = at + rng.randint(3, 14)
    made.count("matching", met, group, P, M.ACTIVATED)
    made.move(met, group, P, MatchStatus.APPROVED, MatchStatus.ACTIVE)
    for checkin in (14, 91):
        made.count("matching", at + checkin, group, P, M.CHECKIN_SENT)
        made.count("notifications", at + checkin, group, "match_checkin", DeliveryStatus.SENT, 2)
    if rng.random() < 0.35:
        end = met + rng.randint(30, 200)
        made.count("matching", end, group, P, f"{M.ENDED}:{rng.choice(ENDINGS)}")
        made.move(end, group, P, MatchStatus.ACTIVE, MatchStatus.ENDED)
        made.move(end, group, N, NewcomerStatus.MATCHED, NewcomerStatus.CLOSED)
    if rng.random() < 0.02:
        made.count("notifications", d, group, "newcomer_request_received", DeliveryStatus.FAILED)


def _event(
    made: History, rng: random.Random, group: str, d: int, kind: EventKind, places: int, busy: float
) -> None:
    made.count("events", d, group, kind, EventMeasure.HELD)
    made.count("events", d, group, kind, EventMeasure.PLACES, places)
    asked = _poisson(rng, places * 0.9 * busy)
    taken = min(asked, places)
    came = sum(rng.random() < 0.82 for _ in range(taken))
    made.count("events", d - 7, group, kind, RegistrationStatus.CONFIRMED, taken)
    made.count("events", d - 7, group, kind, RegistrationStatus.WAITLISTED, asked - taken)
    made.count("events", d, group, kind, EventMeasure.TAKEN, taken)
    made.count("events", d, group, kind, EventMeasure.ATTENDED, came)
    made.count("notifications", d - 7, group, "registration_confirmed", DeliveryStatus.SENT, taken)
    made.count("notifications", d - 1, group, "event_reminder", DeliveryStatus.SENT, taken)
    made.count("notifications", d - 1, group, "event_reminder", DeliveryStatus.SUPPRESSED, 1)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's): how many things happen in a day."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
