"""When an event is, worded once for every page, email and list: "Saturday, 12 December 2026,
18:00 to 20:00" in the event's own time zone and the reader's language, and the zone named by
its city ("London"), which each says as "(London time)" in its own words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time, get_timezone_location

from sanctuary.vocabulary import Locale

# The network's own zone: its days (the impact report's tallies, a check's dates in emails).
# A national network's local groups all keep UK time.
NETWORK_ZONE = ZoneInfo("Europe/London")

BABEL_LOCALES: dict[str, str] = {Locale.EN: "en_GB", Locale.AR: "ar", Locale.UK: "uk"}
# Arabic separates the parts of a date with its own comma, as the day already does.
_COMMA: dict[str, str] = {Locale.AR: "\u060c "}


def span(starts_at: datetime, ends_at: datetime, zone: str, locale: str) -> str:
    """The day and the hours, start to end; both dates when it runs past midnight."""
    babel = BABEL_LOCALES.get(locale, "en_GB")  # Locale is a StrEnum: "ar" finds Locale.AR
    where = ZoneInfo(zone)
    starts, ends = starts_at.astimezone(where), ends_at.astimezone(where)
    if starts.date() == ends.date():
        hours = format_interval(starts.time(), ends.time(), "Hm", locale=babel)
        return f"{format_date(starts, 'full', locale=babel)}{_COMMA.get(locale, ', ')}{hours}"
    return " \u2013 ".join(
        f"{format_date(t, 'medium', locale=babel)} {format_time(t, 'HH:mm', locale=babel)}"
        for t in (starts, ends)
    )


def city(zone: str, locale: str) -> str:
    """The city a time zone is named by, in the reader's language ("London", "لندن")."""
    babel = BABEL_LOCALES.get(locale, "en_GB")
    return str(get_timezone_location(ZoneInfo(zone), locale=babel, return_city=True))
