"""Calendar invites (RFC 5545) for event emails, made with the icalendar library.

The UID is the event's and the SEQUENCE its change count, so a calendar updates (or, with
METHOD:CANCEL, removes) the entry it already has instead of adding another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Calendar, Event, vCalAddress


def invite(details: dict[str, Any], *, method: str, organiser: str) -> bytes:
    """An .ics with one VEVENT; `method` is REQUEST (add or update) or CANCEL."""
    calendar = Calendar()
    calendar.add("prodid", "-//Sanctuary Network//Events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{details['event_id']}@sanctuary-network")
    event.add("sequence", details["sequence"])
    event.add("summary", details["title"])
    event.add("dtstart", datetime.fromisoformat(details["starts_at"]))
    event.add("dtend", datetime.fromisoformat(details["ends_at"]))
    event.add("dtstamp", datetime.fromisoformat(details["stamped_at"]))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if details.get("location"):
        event.add("location", details["location"])
    if details.get("online_url") and method == "REQUEST":
        event.add("url", details["online_url"])
    event["organizer"] = vCalAddress(f"mailto:{organiser}")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def check(details: dict[str, Any]) -> None:
    """Raise if no invite can be made from `details` (a field missing, a time that does not
    parse). Run when the email is planned, so a bad one parks its message with the reason
    instead of failing at send time; the invite itself is made when the email is sent."""
    for key in ("event_id", "sequence", "title"):
        if details.get(key) is None:
            raise KeyError(key)
    if not isinstance(details["sequence"], int):
        raise TypeError(f"sequence is {type(details['sequence']).__name__}, not int")
    for key in ("starts_at", "ends_at", "stamped_at"):
        datetime.fromisoformat(details[key])
