"""The impact report as it leaves the dashboard (ADR 43): downloads and the printable page.
A count from 1 to 4 is "fewer than 5", and a median, a percentile or a rate drawn from fewer
than 5 people is "too few to say": small numbers can point at someone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.domain.impact import SMALL

FEWER = f"fewer than {SMALL}"
TOO_FEW = "too few to say"


def base(figure: str, values: dict[str, Any]) -> int | None:
    """The count a figure drawn from others (a median, a percentile, a rate) is drawn from,
    among the figures beside it; None for a count."""
    drawn_from = {
        "median_days_to_ready": lambda: values["ready"],
        "median_days_waiting": lambda: values["matched"],
        "p90_days_waiting": lambda: values["matched"],
        "attendance_rate": lambda: values["taken"],
    }
    found = drawn_from.get(figure)
    return found() if found else None


def shown(value: Any, base: int | None = None) -> str | int | float:
    """One figure as it may leave: its value, "fewer than 5", "too few to say" or "-"."""
    if base is not None and base < SMALL:
        return TOO_FEW
    if value is None:
        return "-"
    if isinstance(value, int) and 0 < value < SMALL:
        return FEWER
    return value


def rows(figures: dict[str, Any]) -> Iterator[tuple[str, str, str | int | float]]:
    """(section, figure, value) of one set of figures, flattened ("events", "webinar held")."""
    for section, values in figures.items():
        for figure, value in values.items():
            if not isinstance(value, dict):
                yield section, figure, shown(value, base(figure, values))
                continue
            for part, inner in value.items():
                if isinstance(inner, dict):  # a kind of event's own figures
                    for name, n in inner.items():
                        yield section, f"{part} {name}", shown(n, base(name, inner))
                else:  # ended_by_reason
                    yield section, f"{figure} {part}", shown(inner)


def safe(figures: dict[str, Any]) -> dict[str, Any]:
    """The same figures, nested as the API gives them, each as `shown` makes it."""
    out: dict[str, Any] = {}
    for section, figure, value in rows(figures):
        out.setdefault(section, {})[figure] = value
    return out


def month_rows(month: dict[str, Any]) -> dict[str, Any]:
    """One month of the trend as it may leave."""
    return {
        key: value if key == "month" else shown(value, base(key, month))
        for key, value in month.items()
    }
