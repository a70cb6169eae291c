"""The impact report's arithmetic (ADR 42, 43), pure: percentiles from day histograms, stocks
from moves, the periods a report covers, and small numbers hidden on their way out."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from gateway.domain import impact, impact_export, periods
from hypothesis import given
from hypothesis import strategies as st


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=200))
def test_a_percentile_of_the_histogram_is_the_nearest_rank_of_the_days_themselves(
    waits: list[int],
) -> None:
    ordered = sorted(waits)
    for p in (50, 90):
        rank = max(1, -(-len(ordered) * p // 100))  # ceil
        assert impact.percentile(Counter(waits), p) == ordered[rank - 1]


def test_nobody_has_no_percentile_and_no_rate() -> None:
    assert impact.percentile(Counter(), 50) is None
    assert impact.rate(3, 0) is None
    assert impact.rate(2, 3) == 0.667


def test_stocks_add_the_moves_before_and_in_the_period() -> None:
    before = Counter({("matching", "newcomer", "now:waiting"): 4})
    period = Counter(
        {
            ("matching", "newcomer", "now:waiting"): -3,
            ("matching", "newcomer", "now:proposed"): 1,
            ("matching", "newcomer", "requested"): 2,
            ("matching", "newcomer", "matched_after:3"): 1,
            ("matching", "newcomer", "matched_after:9"): 1,
        }
    )
    newcomers = impact.figures(period, before)["newcomers"]
    assert newcomers == {
        "requested": 2,
        "matched": 2,
        "waiting_at_end": 2,  # 4 - 3 still waiting, 1 with a proposal to decide
        "median_days_waiting": 3,
        "p90_days_waiting": 9,
    }


@pytest.mark.parametrize(
    ("choice", "today", "expected"),
    [
        ("month", date(2026, 2, 10), (date(2026, 2, 1), date(2026, 2, 28))),
        ("last-month", date(2026, 1, 10), (date(2025, 12, 1), date(2025, 12, 31))),
        ("quarter", date(2026, 11, 30), (date(2026, 10, 1), date(2026, 12, 31))),
        ("year", date(2026, 6, 1), (date(2026, 1, 1), date(2026, 12, 31))),
        ("last-year", date(2026, 6, 1), (date(2025, 1, 1), date(2025, 12, 31))),
        ("12-months", date(2026, 12, 6), (date(2026, 1, 1), date(2026, 12, 6))),
    ],
)
def test_each_named_period_holds_today(
    choice: str, today: date, expected: tuple[date, date]
) -> None:
    assert periods.chosen(choice, today) == expected


@pytest.mark.parametrize(
    ("start", "end", "choice", "field"),
    [
        ("2026-05-01", "2026-04-01", None, "to"),
        ("2026-05-01", None, None, "to"),
        ("yesterday", "2026-04-01", None, "from"),
        ("1990-01-01", "2026-04-01", None, "to"),
        (None, None, "fortnight", "period"),
    ],
)
def test_a_period_that_cannot_be_reported_names_its_field(
    start: str | None, end: str | None, choice: str | None, field: str
) -> None:
    with pytest.raises(periods.BadPeriod) as refused:
        periods.between(start, end, choice, date(2026, 12, 6))
    assert refused.value.field == field


def test_small_counts_and_what_is_drawn_from_few_people_do_not_leave() -> None:
    figures = impact.figures(
        Counter(
            {
                ("matching", "newcomer", "requested"): 12,
                ("matching", "newcomer", "matched_after:30"): 3,
                ("events", "training", "taken"): 4,
                ("events", "training", "attended"): 4,
            }
        ),
        Counter(),
    )
    safe = impact_export.safe(figures)
    assert safe["newcomers"]["requested"] == 12
    assert safe["newcomers"]["matched"] == "fewer than 5"
    assert safe["newcomers"]["median_days_waiting"] == "too few to say"
    assert safe["newcomers"]["waiting_at_end"] == 0  # nobody: no one to point at
    assert safe["events"]["training attendance_rate"] == "too few to say"
    assert safe["events"]["training attended"] == "fewer than 5"
    assert safe["volunteers"]["median_days_to_ready"] == "too few to say"
    month = {"month": "2026-03", "matched": 7, "median_days_waiting": 12, "signed_up": 2}
    assert impact_export.month_rows(month) == {
        "month": "2026-03",
        "matched": 7,
        "median_days_waiting": 12,
        "signed_up": "fewer than 5",
    }
