"""An event's time, worded once for pages, emails and lists (sanctuary.when)."""

from __future__ import annotations

from datetime import UTC, datetime

from sanctuary import when

STARTS = datetime(2026, 12, 12, 18, 0, tzinfo=UTC)  # London is on GMT in December
ENDS = datetime(2026, 12, 12, 20, 0, tzinfo=UTC)


def test_the_day_and_the_hours_start_to_end_in_each_language() -> None:
    assert when.span(STARTS, ENDS, "Europe/London", "en") == (
        "Saturday, 12 December 2026, 18:00\u201320:00"
    )
    # Arabic: its own comma between the date and the hours, as after the day.
    assert when.span(STARTS, ENDS, "Europe/London", "ar") == (
        "\u0627\u0644\u0633\u0628\u062a\u060c 12 "  # Saturday,
        "\u062f\u064a\u0633\u0645\u0628\u0631 2026\u060c 18:00\u201320:00"  # December 2026,
    )
    assert "," not in when.span(STARTS, ENDS, "Europe/London", "ar")
    assert when.span(STARTS, ENDS, "Europe/London", "uk").endswith(", 18:00\u201320:00")


def test_summer_time_and_other_zones_are_read_where_the_event_is() -> None:
    june = datetime(2026, 6, 5, 17, 0, tzinfo=UTC)
    assert when.span(june, june.replace(hour=19), "Europe/London", "en").endswith(
        "18:00\u201320:00"
    )
    assert when.city("Europe/London", "en") == "London"
    assert when.city("Europe/London", "ar") == "\u0644\u0646\u062f\u0646"


def test_an_event_past_midnight_gives_both_dates() -> None:
    late = when.span(STARTS.replace(hour=22), ENDS.replace(day=13, hour=1), "Europe/London", "en")
    assert late == "12 Dec 2026 22:00 \u2013 13 Dec 2026 01:00"


def test_an_unknown_language_reads_in_english() -> None:
    assert when.span(STARTS, ENDS, "Europe/London", "fr") == when.span(
        STARTS, ENDS, "Europe/London", "en"
    )
