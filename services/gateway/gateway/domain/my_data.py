"""What a person's own data page says (ADR 0026): their subject-access export (service by
service, table by table) turned into a few plain things held about them, each a `Section`
the page words in the reader's language. Pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sanctuary.vocabulary import Check, NewcomerStatus, VolunteerStatus

# What each section is; the page has one sentence for each.
VOLUNTEER = "volunteer"  # their volunteer sign-up: the details it holds
NEWCOMER = "newcomer"  # their request for a befriender: the details it holds
REFERRALS = "referrals"  # requests they made for someone they support
MATCHES = "matches"  # one item per match: the partner's first name and its status
PLACES = "places"  # their places at events: the event's title and the place's status
REMINDERS = "reminders"  # event reminders sent to them: how many
CONTACT = "contact"  # what the emails need: the details held
EMAILS = "emails"  # emails sent to them: how many
NAMED = "named"  # emails to the other person of their match naming them: how many
UNSUBSCRIBED = "unsubscribed"  # the optional emails they stopped: the categories
MESSAGES = "messages"  # messages about them between the services: how many
LINKS = "links"  # links to this page they asked for: how many

# An item's status when a place was used: the event happened and they came.
ATTENDED = "attended"
# The details of a person's row, in the order the page lists them: (detail, its columns).
DETAILS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("name", "first_name")),
    ("email", ("email",)),
    ("phone", ("phone",)),
    ("referrer_email", ("referrer_email",)),
    ("postcode", ("postcode",)),
    ("languages", ("languages",)),
    ("availability", ("availability",)),
    ("needs", ("needs",)),
    ("interests", ("interests",)),
    ("gender", ("gender",)),
    ("checks", tuple(Check)),  # the outcomes of a volunteer's checks
    ("locale", ("locale",)),
)
GONE = frozenset({VolunteerStatus.ERASED, NewcomerStatus.ERASED})


@dataclass(frozen=True)
class Item:
    """One named thing: a match (the partner's first name) or a place (the event's title);
    `name` None when it is not known any more."""

    name: str | None
    status: str


@dataclass(frozen=True)
class Section:
    """One kind of thing held about the person: the details it holds, the things it names,
    or only how many there are."""

    kind: str
    details: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    count: int = 0


def summary(export: dict[str, Any]) -> list[Section]:
    """The sections of an export, in the order the page shows them; none for nothing held."""
    services = export.get("services", {})
    matching, events = services.get("matching", {}), services.get("events", {})
    notifications = services.get("notifications", {})
    found = [
        _person(VOLUNTEER, _kept(matching.get("volunteers", ()))),
        _person(NEWCOMER, _kept(matching.get("newcomers", ()))),
        _referrals(matching.get("referrals", ()), notifications.get("referrals", ())),
        _items(MATCHES, [_match(m) for m in matching.get("matches", ())]),
        _items(PLACES, [_place(r) for r in events.get("registrations", ())]),
        _count(REMINDERS, events.get("reminders_sent", ())),
        _person(CONTACT, [*notifications.get("people", ()), *notifications.get("registrants", ())]),
        _count(EMAILS, [d for d in notifications.get("deliveries", ()) if d.get("to_address")]),
        _count(NAMED, [d for d in notifications.get("deliveries", ()) if d.get("names_you_as")]),
        _items(
            UNSUBSCRIBED, [Item(None, u["category"]) for u in notifications.get("unsubscribes", ())]
        ),
        _count(MESSAGES, [row for tables in services.values() for row in _messages(tables)]),
        _count(LINKS, services.get("gateway", {}).get("data_links", ())),
    ]
    return [section for section in found if section is not None]


def _messages(tables: dict[str, Any]) -> list[Any]:
    """Messages about them between the services: waiting to be sent, or waiting in a queue
    (to be tried again, or parked for an operator)."""
    return [*tables.get("outbox", ()), *tables.get("queued_messages", ())]


def _kept(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows still about them (an erased row holds nothing of theirs)."""
    return [row for row in rows if row.get("status") not in GONE]


def details_of(rows: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """Which of their details these rows hold (a value that is there, not empty)."""
    rows = list(rows)
    return tuple(
        detail
        for detail, columns in DETAILS
        if any(row.get(column) not in (None, "", [], {}) for row in rows for column in columns)
    )


def _person(kind: str, rows: list[dict[str, Any]]) -> Section | None:
    return Section(kind, details=details_of(rows), count=len(rows)) if rows else None


def _referrals(asked: Iterable[Any], named: Iterable[dict[str, Any]]) -> Section | None:
    """Requests they made for someone they support: the first names notifications keeps,
    or how many when it keeps none."""
    names = tuple(Item(row.get("first_name"), "") for row in named if row.get("first_name"))
    count = max(len(list(asked)), len(names))
    return Section(REFERRALS, items=names, count=count) if count else None


def _match(row: dict[str, Any]) -> Item:
    return Item(row.get("partner") or None, str(row.get("status", "")))


def _place(row: dict[str, Any]) -> Item:
    event = row.get("event") or {}
    status = ATTENDED if row.get("attended_at") else str(row.get("status", ""))
    return Item(event.get("title") or None, status)


def _items(kind: str, items: list[Item]) -> Section | None:
    return Section(kind, items=tuple(items), count=len(items)) if items else None


def _count(kind: str, rows: Iterable[Any]) -> Section | None:
    count = len(list(rows))
    return Section(kind, count=count) if count else None
