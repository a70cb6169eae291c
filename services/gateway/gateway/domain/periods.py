"""The periods an impact report covers: a month, a quarter, a year, or any two dates."""

from __future__ import annotations

from datetime import date, timedelta

CHOICES = {
    "month": "This month",
    "last-month": "Last month",
    "quarter": "This quarter",
    "year": "This year",
    "last-year": "Last year",
    "12-months": "The last 12 months",
}
LONGEST = timedelta(days=366 * 10)


class BadPeriod(ValueError):
    """A period that cannot be reported: the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def chosen(choice: str, today: date) -> tuple[date, date]:
    """The first and last days of a named period (CHOICES) that holds `today`; its last day
    may be in the future (the figures stop at today)."""
    month = today.replace(day=1)
    if choice == "month":
        return month, _month_end(month)
    if choice == "last-month":
        start = (month - timedelta(days=1)).replace(day=1)
        return start, _month_end(start)
    if choice == "quarter":
        start = month.replace(month=(today.month - 1) // 3 * 3 + 1)
        return start, _month_end(_add_months(start, 2))
    if choice == "year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if choice == "last-year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if choice == "12-months":
        return _add_months(month, -11), today
    raise BadPeriod("period", f"Not a period: choose one of {', '.join(CHOICES)}.")


def between(
    start: str | None, end: str | None, choice: str | None, today: date
) -> tuple[date, date]:
    """The days asked for: `from` and `to` (ISO dates), else the named `period`, else the
    last 12 months."""
    if not start and not end:
        return chosen(choice or "12-months", today)
    first, last = _day("from", start), _day("to", end)
    if last < first:
        raise BadPeriod("to", "The last day comes before the first.")
    if last - first > LONGEST:
        raise BadPeriod("to", "A report covers ten years at most.")
    return first, last


def _day(field: str, value: str | None) -> date:
    if not value:
        raise BadPeriod(field, "Give both dates, such as 2026-01-01 and 2026-12-31.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadPeriod(field, "Not a date such as 2026-12-06.") from None


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return _add_months(month, 1) - timedelta(days=1)
