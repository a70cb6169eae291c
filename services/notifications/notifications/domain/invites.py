"""Calendar invites (RFC 5545) for event emails, made with the icalendar library.

The UID is the event's and the SEQUENCE its change count, so a calendar updates (or, with
METHOD:CANCEL, removes) the entry it already has instead of adding another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from icalendar import Calendar, Event, vCalAddress


@dataclass(frozen=True)
class _Details:
    """What an invite is made of, read from an email's event context: the one place that
    says which fields an invite needs and of what kind."""

    uid: str
    sequence: int
    title: str
    starts_at: datetime
    ends_at: datetime
    stamped_at: datetime
    location: str | None
    online_url: str | None

    @classmethod
    def of(cls, details: dict[str, Any]) -> _Details:
        for key in ("event_id", "sequence", "title"):
            if details.get(key) is None:
                raise KeyError(key)
        if not isinstance(details["sequence"], int):
            raise TypeError(f"sequence is {type(details['sequence']).__name__}, not int")
        return cls(
            uid=f"{details['event_id']}@sanctuary-network",
            sequence=details["sequence"],
            title=details["title"],
            starts_at=datetime.fromisoformat(details["starts_at"]),
            ends_at=datetime.fromisoformat(details["ends_at"]),
            stamped_at=datetime.fromisoformat(details["stamped_at"]),
            location=details.get("location"),
            online_url=details.get("online_url"),
        )


def invite(
    details: dict[str, Any], *, method: str, organiser: tuple[str, str], attendee: str
) -> bytes:
    """An .ics with one VEVENT; `method` is REQUEST (add or update) or CANCEL. It names the
    reader (`attendee`, their address) as its attendee, as RFC 5546 asks of both methods: a
    mail client offers to add an invite to the calendar only when it is addressed to its
    reader. `organiser` is who runs it, a name and an address (the group and its contact)."""
    read = _Details.of(details)
    calendar = Calendar()
    calendar.add("prodid", "-//Sanctuary Network//Events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", read.uid)
    event.add("sequence", read.sequence)
    event.add("summary", read.title)
    event.add("dtstart", read.starts_at)
    event.add("dtend", read.ends_at)
    event.add("dtstamp", read.stamped_at)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if read.location:
        event.add("location", read.location)
    if read.online_url and method == "REQUEST":
        event.add("url", read.online_url)
    name, address = organiser
    who = vCalAddress(f"mailto:{address}")
    who.params["cn"] = name
    event["organizer"] = who
    reader = vCalAddress(f"mailto:{attendee}")
    reader.params.update({"role": "REQ-PARTICIPANT", "rsvp": "FALSE"})
    if method == "REQUEST":  # they asked for the place and have it: nothing to answer
        reader.params["partstat"] = "ACCEPTED"
    event.add("attendee", reader)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def check(details: dict[str, Any]) -> None:
    """Raise if no invite can be made from `details` (a field missing or of the wrong kind, a
    time that does not parse). Run when the email is planned, so a bad one parks its message
    with the reason instead of failing at send time; the invite itself is made when the
    email is sent."""
    _Details.of(details)
