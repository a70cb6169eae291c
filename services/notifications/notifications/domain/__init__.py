"""Which email a fact calls for, and how patiently to retry: pure rules, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_name
from sanctuary import references, when
from sanctuary.contracts import (
    CoordinatorInvited,
    NewcomerRequested,
    RegistrationChanged,
    VolunteerReadinessChanged,
    VolunteerRegistered,
)
from sanctuary.vocabulary import (
    DEFAULT_LOCALE,
    DeliveryStatus,
    EmailCategory,
    Locale,
    RegistrationStatus,
    VolunteerStatus,
)

# Optional emails, by template, and the category one unsubscribes from (RFC 8058). Every
# other email (confirmations, cancellations, introductions) is always sent.
OPTIONAL_CATEGORIES = {
    "event_reminder": EmailCategory.REMINDERS,
    "match_checkin": EmailCategory.CHECKINS,
}


def shown_status(status: str, attempts: int) -> str:
    """A delivery's status as coordinators read it: `retrying` once a try has failed."""
    pending = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    return DeliveryStatus.RETRYING if status in pending and attempts > 0 else status


WELCOME = "volunteer_welcome"


@dataclass(frozen=True)
class PlannedEmail:
    """An email decided on, not yet sent; signed by the reader's group (None: the network's
    own group signs it, for someone no local group covers yet)."""

    template: str
    dedupe_key: str
    to_address: str
    locale: str
    context: dict[str, Any]
    group_id: uuid.UUID | None = None


def signature(name: str, contact: str, *, local: bool) -> dict[str, Any]:
    """Who signs an email: the group's name (also the From name), the contact every email
    names (also its Reply-To), and whether it is the reader's own local group."""
    return {"name": name, "contact": contact, "local": local}


def welcome(event: VolunteerRegistered) -> PlannedEmail:
    """The welcome a volunteer gets once the matching service has them."""
    return PlannedEmail(
        template=WELCOME,
        dedupe_key=f"{WELCOME}:{event.volunteer_id}",
        to_address=event.email,
        locale=event.locale,
        context={"name": event.name, "reference": references.of(event.volunteer_id)},
        group_id=event.group_id,
    )


READINESS = "volunteer_readiness"


def readiness(fact: VolunteerReadinessChanged, volunteer: Contact) -> PlannedEmail:
    """Tell a volunteer they are ready to be matched, or which checks are still missing."""
    missing = ",".join(fact.missing)
    return PlannedEmail(
        template=READINESS,
        dedupe_key=f"{READINESS}:{fact.volunteer_id}:{fact.status}:{missing}",
        to_address=volunteer.address,
        locale=volunteer.locale,
        context={
            "name": volunteer.name,
            "ready": fact.status == VolunteerStatus.READY,
            "missing": list(fact.missing),
        },
        group_id=volunteer.group_id,
    )


def request_received(event: NewcomerRequested) -> PlannedEmail | None:
    """Tell a newcomer (or the support worker who referred them) that the request is in;
    None for a newcomer with a phone only: a coordinator calls them (ADR 0039)."""
    referred = event.email is None
    to = event.email or event.referrer_email
    if to is None:
        return None
    return PlannedEmail(
        template="newcomer_request_received",
        dedupe_key=f"newcomer_request_received:{event.newcomer_id}",
        to_address=to,
        locale=event.locale,
        context={
            "name": event.name,
            "referred": referred,
            "reference": references.of(event.newcomer_id),
        },
        group_id=event.group_id,
    )


INVITATION = "coordinator_invitation"


def invitation(fact: CoordinatorInvited) -> PlannedEmail:
    """The link that sets an invited coordinator's password (made when sending); in English,
    as the dashboard is, signed by the first group they join."""
    return PlannedEmail(
        template=INVITATION,
        dedupe_key=f"{INVITATION}:{fact.invitation_id}",
        to_address=fact.email,
        locale=DEFAULT_LOCALE,
        context={
            "name": fact.name,
            "invitation_id": str(fact.invitation_id),
            "expires": local_time(fact.expires_at, "Europe/London"),
        },
        group_id=fact.group_id,
    )


def retry_delay(attempts: int, delays_ms: tuple[int, ...]) -> timedelta:
    """Wait before the next try after `attempts` failed ones: the configured RETRY_DELAYS_MS
    in turn (the same ladder as the delay queues), then the last one again."""
    return timedelta(milliseconds=delays_ms[min(max(attempts, 1), len(delays_ms)) - 1])


def is_permanent_smtp_code(code: int) -> bool:
    """5xx answers (no such mailbox, rejected) will not change on a retry; 4xx ones may."""
    return 500 <= code < 600


# registration fact -> (template, calendar method to attach, or None)
# registration fact -> the registrant's status in our copy afterwards
REGISTRANT_STATUS = {
    "registration.confirmed": RegistrationStatus.CONFIRMED,
    "registration.waitlisted": RegistrationStatus.WAITLISTED,
    "registration.promoted": RegistrationStatus.CONFIRMED,
    "registration.cancelled": RegistrationStatus.CANCELLED,
}

REGISTRATION_EMAILS = {
    "registration.confirmed": ("registration_confirmed", "REQUEST"),
    "registration.waitlisted": ("registration_waitlisted", None),
    "registration.promoted": ("registration_promoted", "REQUEST"),
    "registration.cancelled": ("registration_cancelled", "CANCEL"),
}


# How a moment (a link's expiry) reads in each language (Babel patterns): the day, the date,
# the time of day, and the zone's name as that language says it. An event's time is worded
# by sanctuary.when, with its end, as its page words it.
_WHEN: dict[str, tuple[str, Literal["short", "long"]]] = {
    Locale.EN: ("EEEE d MMMM y, HH:mm", "short"),
    Locale.AR: ("EEEE d MMMM y، HH:mm", "long"),
    Locale.UK: ("EEEE, d MMMM y, HH:mm", "long"),
}


def local_time(starts_at: datetime, zone: str, locale: str = DEFAULT_LOCALE) -> str:
    """ "Saturday 5 December 2026, 10:30 GMT": the start as people there read it, in their
    language ("субота, 5 грудня 2026, 10:30 (за Гринвічем)")."""
    pattern, zone_width = _WHEN.get(locale, _WHEN[DEFAULT_LOCALE])
    babel_locale = when.BABEL_LOCALES.get(locale, when.BABEL_LOCALES[DEFAULT_LOCALE])
    local = starts_at.astimezone(ZoneInfo(zone))
    text = format_datetime(local, pattern, locale=babel_locale)
    zone_name = get_timezone_name(local, zone_width, locale=babel_locale)
    return f"{text} {zone_name}" if zone_width == "short" else f"{text} ({zone_name})"


def registration_email(
    message_type: str,
    fact: RegistrationChanged,
    event: dict[str, Any],
    now: datetime,
    position: int | None = None,
    locale: str = DEFAULT_LOCALE,
) -> PlannedEmail:
    """The email a registration fact calls for, with the event as the emails show it; signed
    by the registration's group."""
    template, method = REGISTRATION_EMAILS[message_type]
    return event_email(
        template,
        method,
        fact.registration_id,
        fact.name,
        fact.email,
        event,
        now,
        position=position,
        locale=locale,
        group_id=fact.group_id,
    )


def event_email(
    template: str,
    method: str | None,
    registration_id: uuid.UUID,
    name: str,
    to: str,
    event: dict[str, Any],
    now: datetime,
    *,
    position: int | None = None,
    key: str = "",
    locale: str = DEFAULT_LOCALE,
    group_id: uuid.UUID | None = None,
) -> PlannedEmail:
    """One registrant's email about an event; `key` tells apart several of one kind."""
    starts_at, ends_at = (datetime.fromisoformat(event[k]) for k in ("starts_at", "ends_at"))
    # The title in the reader's language where the coordinator gave one; the invite too.
    title = event.get("titles", {}).get(locale) or event["title"]
    event = {k: v for k, v in event.items() if k != "titles"} | {"title": title}
    context = {
        "name": name,
        "title": title,
        # As the event's page says it (sanctuary.when): the hours, and "(London time)".
        "when": when.span(starts_at, ends_at, event["timezone"], locale),
        "city": when.city(event["timezone"], locale),
        "online": event["online_url"] is not None,
        "where": event["online_url"] or event["location"],
        "registration_id": str(registration_id),
        "reference": references.of(registration_id),
        "position": position,
        "calendar_method": method,
        "event": {**event, "stamped_at": now.isoformat()},
        "reminder": key or None,
    }
    return PlannedEmail(
        template=template,
        dedupe_key=f"{template}:{registration_id}:{event['sequence']}:{key}",
        to_address=to,
        locale=locale,
        context=context,
        group_id=group_id,
    )


def first_name(name: str) -> str:
    """What an introduction shares of a person's name: the first word of it, no more."""
    return name.split()[0] if name.split() else name


@dataclass(frozen=True)
class Contact:
    """Someone to write to about a match, as the notifications service knows them."""

    id: uuid.UUID
    kind: str
    name: str
    address: str
    referred: bool  # writing to the support worker who referred them
    locale: str = DEFAULT_LOCALE
    group_id: uuid.UUID | None = None


def match_email(
    template: str,
    match_id: uuid.UUID,
    to: Contact,
    other: Contact | None,
    coordinator: str,
    key: str = "",
) -> PlannedEmail:
    """An email about a match to one of the pair (or a coordinator, when `to.kind` is
    coordinator): first names only, and the group's contact to write to."""
    return PlannedEmail(
        template=template,
        dedupe_key=f"{template}:{match_id}:{to.id}:{key}",
        to_address=to.address,
        locale=to.locale,
        context={
            "name": first_name(to.name),
            "referred": to.referred,
            "role": to.kind,
            "other": first_name(other.name) if other else None,
            "coordinator": coordinator,
            "match_id": str(match_id),
            "checkin": key or None,
        },
        group_id=to.group_id,
    )
