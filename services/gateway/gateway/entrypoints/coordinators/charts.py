"""The Impact page's pictures (ADR 43): each chart is its series (the table behind it, one
click away on the page), a sentence that says what it shows (its text alternative), and an
SVG drawn on the server by pygal, with no script in it, shown as an image (`data:` URI) so
the page's strict CSP holds and nothing runs."""

from __future__ import annotations

import base64
import sys
from dataclasses import dataclass
from typing import Any

from gateway.entrypoints.coordinators import wording

# The dashboard's own colours (static/site.css), dark enough on white for WCAG AA.
COLOURS = ("#1d4e89", "#b3261e", "#00695c", "#7a4f01", "#5b3a8c", "#37474f", "#8a1c52")


@dataclass(frozen=True)
class Chart:
    """A chart and the table behind it: one row per label, one column per series."""

    key: str
    title: str
    kind: str  # "bar", "line", "hbar"
    labels: list[str]
    series: list[tuple[str, list[int | None]]]
    alt: str
    unit: str = ""

    def rows(self) -> list[tuple[str, list[int | None]]]:
        return [
            (label, [values[i] for _, values in self.series]) for i, label in enumerate(self.labels)
        ]

    def image(self, narrow: bool = False) -> str:
        """The chart as a `data:` URI of its SVG: 760 px wide, or 400 for a phone (drawn
        again, not shrunk: its words stay as large)."""
        drawn = svg(self, narrow)
        return "data:image/svg+xml;base64," + base64.b64encode(drawn).decode("ascii")


def charts(report: dict[str, Any]) -> list[Chart]:
    """The Impact page's charts of a report (gateway.service_layer.reports)."""
    return [_trend(report), _waits(report), _endings(report), _events(report)]


def _trend(report: dict[str, Any]) -> Chart:
    months, total = report["months"], report["total"]
    return Chart(
        "trend",
        "Sign-ups, requests and matches by month",
        "bar",
        [m["month"] for m in months],
        [
            ("Volunteers signed up", [m["signed_up"] for m in months]),
            ("Newcomers asked", [m["requested"] for m in months]),
            ("Newcomers matched", [m["matched"] for m in months]),
        ],
        f"Bar chart over {len(months)} months: {total['volunteers']['signed_up']} volunteers "
        f"signed up, {total['newcomers']['requested']} newcomers asked for a befriender and "
        f"{total['newcomers']['matched']} were matched.",
    )


def _waits(report: dict[str, Any]) -> Chart:
    months, newcomers = report["months"], report["total"]["newcomers"]
    waits = [(m["median_days_waiting"], m["p90_days_waiting"]) for m in months]
    longest = max((p90 for _, p90 in waits if p90 is not None), default=None)
    return Chart(
        "waits",
        "Days newcomers waited for a befriender, by month they were matched",
        "line",
        [m["month"] for m in months],
        [
            ("Median", [median for median, _ in waits]),
            ("9 in 10 waited at most", [p90 for _, p90 in waits]),
        ],
        "Line chart of waiting times: over the period the median wait was "
        f"{_days(newcomers['median_days_waiting'])} and 9 in 10 were matched within "
        f"{_days(newcomers['p90_days_waiting'])}; the longest month's 9 in 10 was "
        f"{_days(longest)}.",
        unit="days",
    )


def _endings(report: dict[str, Any]) -> Chart:
    matches = report["total"]["matches"]
    ended = matches["ended_by_reason"]
    reasons = [reason for reason, n in ended.items() if n]
    said = "; ".join(f"{wording.ENDINGS.get(r, r)}: {ended[r]}" for r in reasons)
    return Chart(
        "endings",
        "How matches ended",
        "hbar",
        [wording.ENDINGS.get(reason, reason) for reason in reasons],
        [("Matches", [ended[reason] for reason in reasons])],
        f"Bar chart: {matches['ended']} matches ended; {said or 'none in the period'}.",
    )


def _events(report: dict[str, Any]) -> Chart:
    kinds = report["total"]["events"]["by_kind"]
    said = "; ".join(
        f"{wording.EVENT_KINDS.get(kind, kind)}: {k['held']} held, {k['places']} places, "
        f"{k['registrations']} registrations, {k['attended']} came"
        for kind, k in kinds.items()
    )
    return Chart(
        "events",
        "Events: places, registrations and who came, by kind",
        "bar",
        [wording.EVENT_KINDS.get(kind, kind) for kind in kinds],
        [
            ("Places", [k["places"] for k in kinds.values()]),
            ("Registrations", [k["registrations"] for k in kinds.values()]),
            ("Came", [k["attended"] for k in kinds.values()]),
        ],
        f"Bar chart by kind of event: {said}.",
    )


def svg(chart: Chart, narrow: bool = False) -> bytes:
    """The chart as SVG, with pygal's scripts taken out (no tooltips: an image runs none)."""
    pygal = _pygal()
    from pygal.style import Style

    style = Style(
        background="white",
        plot_background="white",
        foreground="#1b1b1b",
        foreground_strong="#1b1b1b",
        foreground_subtle="#595959",
        colors=COLOURS,
        font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        title_font_size=16,
        value_font_size=13,
    )
    kind = {"bar": pygal.Bar, "line": pygal.Line, "hbar": pygal.HorizontalBar}[chart.kind]
    drawn = kind(
        style=style,
        js=[],
        width=400 if narrow else 760,
        height=440 if narrow else 360,
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=1 if narrow else 3,
        print_values=chart.kind == "hbar",
        x_label_rotation=(60 if narrow else 30) if len(chart.labels) > (3 if narrow else 8) else 0,
        show_minor_x_labels=True,
        no_data_text="Nothing in this period",
        allow_interruptions=True,
        min_scale=1,
        y_title=chart.unit or None,
    )
    drawn.title = chart.title
    drawn.x_labels = chart.labels
    for name, values in chart.series:
        drawn.add(name, values)
    tree = drawn.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.endswith("script"):
                parent.remove(child)
    from xml.etree import ElementTree

    return ElementTree.tostring(tree, encoding="utf-8")


def _pygal() -> Any:
    """pygal, imported when first drawn: the gateway's other processes never load it. Its
    import adds an old-style finder to sys.meta_path for map plugins (unused here), which
    makes every later failed import warn (ImportWarning: no find_spec): it is taken out."""
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def _days(n: int | None) -> str:
    if n is None:
        return "not known (nobody was matched)"
    return f"{n} day" if n == 1 else f"{n} days"
