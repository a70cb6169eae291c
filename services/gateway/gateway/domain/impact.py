"""The impact report, worked out from the services' anonymous tallies (ADR 42, 43): pure.

Each service answers `{"period": rows by group, "before": stocks by group, "months": rows
by month}`, rows of `kind`, `measure` and `count`. This module turns them into the figures a
network reports, for all the groups asked for together and for each group on its own. Flows
("signed up") are sums over the period; stocks ("waiting at the end") are the sums of the
`now:<status>` moves up to its last day; waits are read from day histograms
("matched_after:12")."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
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

SERVICES = ("matching", "events", "notifications")
# (service, kind, measure) -> count
Counts = Counter[tuple[str, str, str]]
SMALL = 5  # below this, a count that leaves the dashboard is "fewer than 5" (ADR 43)
M = MatchingMeasure
V, N, MATCH = MatchingKind


def by_group(
    answers: Mapping[str, Mapping[str, list[dict[str, Any]]]], part: str
) -> dict[str | None, Counts]:
    """One part of the services' answers ("period" or "before"), group by group (None: the
    network's own list, of people and events no local group holds)."""
    found: dict[str | None, Counts] = {}
    for service, answer in answers.items():
        for row in answer.get(part, []):
            group = found.setdefault(row.get("group_id"), Counter())
            group[(service, row["kind"], row["measure"])] += row["count"]
    return found


def together(groups: Iterable[Counts]) -> Counts:
    """The counts of several groups as one."""
    total: Counts = Counter()
    for found in groups:
        total.update(found)
    return total


def figures(period: Counts, before: Counts) -> dict[str, Any]:
    """What the report says of some groups over a period, from their period's counts and
    their stocks before it."""
    stocks, t = _stocks(period, before), _Index(period)
    return {
        "volunteers": {
            "signed_up": t.sum("matching", V, M.SIGNED_UP),
            "ready": t.sum("matching", V, M.READY),
            "ready_at_end": stocks[V, VolunteerStatus.READY],
            "inactive_at_end": stocks[V, VolunteerStatus.INACTIVE],
            "median_days_to_ready": percentile(t.days(V, M.READY_AFTER), 50),
        },
        "newcomers": _newcomers(t, stocks),
        "matches": _matches(t, stocks),
        "events": _events(t),
        "emails": {
            status: t.sum("notifications", None, status)
            for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED)
        },
    }


def _newcomers(t: _Index, stocks: Counter[tuple[str, str]]) -> dict[str, Any]:
    waits = t.days(N, M.MATCHED_AFTER)
    return {
        "requested": t.sum("matching", N, M.REQUESTED),
        "matched": sum(waits.values()),
        # Still waiting for a befriender: a proposal not yet approved is waiting too.
        "waiting_at_end": stocks[N, NewcomerStatus.WAITING] + stocks[N, NewcomerStatus.PROPOSED],
        "median_days_waiting": percentile(waits, 50),
        "p90_days_waiting": percentile(waits, 90),
    }


def _matches(t: _Index, stocks: Counter[tuple[str, str]]) -> dict[str, Any]:
    ended = {e.value: t.sum("matching", MATCH, f"{M.ENDED}:{e}") for e in MatchEnding}
    return {
        "proposed": t.sum("matching", MATCH, M.PROPOSED),
        "approved": t.sum("matching", MATCH, M.APPROVED),
        "rejected": t.sum("matching", MATCH, M.REJECTED),
        "met": t.sum("matching", MATCH, M.ACTIVATED),
        "ended": sum(ended.values()),
        "ended_by_reason": ended,
        # Pairs under way: approved (introduced) or met.
        "active_at_end": stocks[MATCH, MatchStatus.APPROVED] + stocks[MATCH, MatchStatus.ACTIVE],
        "checkins_sent": t.sum("matching", MATCH, M.CHECKIN_SENT),
    }


def _events(t: _Index) -> dict[str, Any]:
    by_kind = {kind.value: _of_events(t, kind) for kind in EventKind}
    total = {key: sum(k[key] for k in by_kind.values()) for key in next(iter(by_kind.values()))}
    total["attendance_rate"] = rate(total["attended"], total["taken"])
    total["trainings_completed"] = by_kind[EventKind.TRAINING]["attended"]
    for kind in by_kind.values():
        kind["attendance_rate"] = rate(kind["attended"], kind["taken"])
    return {**total, "by_kind": by_kind}


def _of_events(t: _Index, kind: str) -> dict[str, int]:
    def of(measure: str) -> int:
        return t.sum("events", kind, measure)

    return {
        "held": of(EventMeasure.HELD),
        "places": of(EventMeasure.PLACES),
        # Requests for a place that got one or a place in the queue.
        "registrations": of(RegistrationStatus.CONFIRMED) + of(RegistrationStatus.WAITLISTED),
        "waitlisted": of(RegistrationStatus.WAITLISTED),
        "given_a_place_from_the_queue": of(EventMeasure.PROMOTED),
        "taken": of(EventMeasure.TAKEN),
        "attended": of(EventMeasure.ATTENDED),
    }


def months(answers: Mapping[str, Mapping[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """The period month by month, the groups together: the trend of sign-ups, requests,
    matches and waits."""
    by_month: dict[str, Counts] = {}
    for service, answer in answers.items():
        for row in answer.get("months", []):
            found = by_month.setdefault(row["month"], Counter())
            found[(service, row["kind"], row["measure"])] += row["count"]
    trend = []
    for month, found in sorted(by_month.items()):
        t = _Index(found)
        waits = t.days(N, M.MATCHED_AFTER)
        trend.append(
            {
                "month": month,
                "signed_up": t.sum("matching", V, M.SIGNED_UP),
                "requested": t.sum("matching", N, M.REQUESTED),
                "matched": sum(waits.values()),
                "median_days_waiting": percentile(waits, 50),
                "p90_days_waiting": percentile(waits, 90),
                "attended": t.sum("events", None, EventMeasure.ATTENDED),
            }
        )
    return trend


def percentile(histogram: Mapping[int, int], p: int) -> int | None:
    """The nearest-rank percentile `p` of a histogram {days: how many}: the smallest number
    of days at or under which at least p% of them fall. None for no one."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank, seen = max(1, math.ceil(total * p / 100)), 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return days
    raise AssertionError("unreachable: the ranks add up to the total")


def rate(part: int, whole: int) -> float | None:
    """part / whole to three places; None when there is no whole."""
    return round(part / whole, 3) if whole > 0 else None


class _Index:
    """Counts looked up by what the figures ask: a measure of a service (of one kind, or of
    every kind), and the day histograms ("matched_after:12") of a kind, built in one pass."""

    def __init__(self, found: Counts) -> None:
        self.sums: Counter[tuple[str, str | None, str]] = Counter()
        self.histograms: dict[tuple[str, str], Counter[int]] = {}
        for (service, kind, measure), n in found.items():
            self.sums[(service, kind, measure)] += n
            self.sums[(service, None, measure)] += n
            head, colon, days = measure.partition(":")
            if colon and days.isdigit() and service == "matching":
                self.histograms.setdefault((kind, head), Counter())[int(days)] += n

    def sum(self, service: str, kind: str | None, measure: str) -> int:
        """`measure` of `service`, of `kind` (None: every kind)."""
        return self.sums[(service, kind, measure)]

    def days(self, kind: str, measure: str) -> Counter[int]:
        """The histogram of `measure` ("matched_after"): {days: how many}."""
        return self.histograms.get((kind, measure), Counter())


def _stocks(period: Counts, before: Counts) -> Counter[tuple[str, str]]:
    """(kind, status) -> how many stood there on the period's last day."""
    stocks: Counter[tuple[str, str]] = Counter()
    for found in (before, period):
        for (_service, kind, measure), n in found.items():
            if measure.startswith("now:"):
                stocks[(kind, measure[4:])] += n
    return stocks
