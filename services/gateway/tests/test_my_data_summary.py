"""What a person's own data page says about an export (`domain.my_data.summary`): pure, on
exports shaped as the services' subject reads answer them."""

from __future__ import annotations

from typing import Any

from gateway.domain import my_data as held
from gateway.domain.my_data import Item, Section, summary


def export(**services: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"generated_at": "2026-12-05T10:00:00+00:00", "services": services}


VOLUNTEER = {
    "id": "v1",
    "name": "Amal Haddad",
    "email": "amal@example.org",
    "postcode": "LS6 1AA",
    "district": "LS6",
    "languages": ["ar", "en"],
    "availability": [["sat", "morning"]],
    "interests": [],
    "gender": None,
    "references": "verified",
    "status": "ready",
}


def test_nothing_held_says_nothing() -> None:
    assert summary(export()) == []
    assert summary(export(gateway={"outbox": [], "data_links": []}, matching={})) == []


def test_a_volunteer_with_a_match_places_and_emails() -> None:
    sections = summary(
        export(
            gateway={"outbox": [], "data_links": [{"id": "l1"}]},
            matching={
                "volunteers": [VOLUNTEER],
                "matches": [{"partner": "Oksana", "status": "active"}],
                "outbox": [{"type": "volunteer.registered"}],
            },
            events={
                "registrations": [
                    {
                        "status": "confirmed",
                        "attended_at": "2026-11-01T10:00:00+00:00",
                        "event": {"title": "Safeguarding training"},
                    },
                    {"status": "waitlisted", "attended_at": None, "event": {"title": "Social"}},
                ],
                "reminders_sent": [{"reminder": "day"}],
            },
            notifications={
                "people": [{"name": "Amal Haddad", "email": "amal@example.org", "locale": "ar"}],
                "deliveries": [{"to_address": "amal@example.org"}] * 6
                + [{"to_address": None, "names_you_as": "Amal"}],
                "unsubscribes": [{"category": "reminders", "created_at": "2026-11-01"}],
            },
        )
    )
    assert sections == [
        Section(
            held.VOLUNTEER,
            details=("name", "email", "postcode", "languages", "availability", "checks"),
            count=1,
        ),
        Section(held.MATCHES, items=(Item("Oksana", "active"),), count=1),
        Section(
            held.PLACES,
            items=(Item("Safeguarding training", held.ATTENDED), Item("Social", "waitlisted")),
            count=2,
        ),
        Section(held.REMINDERS, count=1),
        Section(held.CONTACT, details=("name", "email", "locale"), count=1),
        Section(held.EMAILS, count=6),
        Section(held.NAMED, count=1),
        Section(held.UNSUBSCRIBED, items=(Item(None, "reminders"),), count=1),
        Section(held.MESSAGES, count=1),
        Section(held.LINKS, count=1),
    ]


def test_a_newcomer_with_an_erased_partner_and_an_unknown_event() -> None:
    newcomer = {
        "name": "Oksana",
        "email": None,
        "phone": "+441134960123",
        "referrer_email": "worker@example.org",
        "postcode": "S1 2AB",
        "languages": ["uk"],
        "needs": ["making_friends"],
        "availability": [],
        "status": "waiting",
    }
    sections = summary(
        export(
            matching={"newcomers": [newcomer], "matches": [{"partner": None, "status": "ended"}]},
            events={"registrations": [{"status": "cancelled", "event": None}]},
        )
    )
    assert sections == [
        Section(
            held.NEWCOMER,
            details=("name", "phone", "referrer_email", "postcode", "languages", "needs"),
            count=1,
        ),
        Section(held.MATCHES, items=(Item(None, "ended"),), count=1),
        Section(held.PLACES, items=(Item(None, "cancelled"),), count=1),
    ]


def test_erased_rows_are_not_shown_as_held() -> None:
    erased = {**VOLUNTEER, "name": "", "email": "", "status": "erased"}
    assert summary(export(matching={"volunteers": [erased]})) == []


def test_referrals_name_the_people_by_first_name_or_count_them() -> None:
    named = summary(
        export(
            matching={"referrals": [{"referrer_email": "w@example.org"}] * 2},
            notifications={"referrals": [{"first_name": "Oksana"}, {"first_name": "Yusuf"}]},
        )
    )
    assert named == [
        Section(held.REFERRALS, items=(Item("Oksana", ""), Item("Yusuf", "")), count=2)
    ]
    counted = summary(export(matching={"referrals": [{"referrer_email": "w@example.org"}] * 3}))
    assert counted == [Section(held.REFERRALS, count=3)]


def test_messages_are_counted_across_every_service() -> None:
    """Waiting to be sent (outboxes), or waiting in a queue (retried or parked)."""
    sections = summary(
        export(
            gateway={"outbox": [{}, {}]},
            matching={"outbox": [{}]},
            events={"outbox": [{}], "queued_messages": [{}, {}]},
            notifications={"outbox": [{}], "queued_messages": [{}]},
        )
    )
    assert sections == [Section(held.MESSAGES, count=8)]


def test_the_details_held_are_only_those_with_a_value() -> None:
    assert held.details_of([{"name": "A", "email": "", "languages": [], "gender": None}]) == (
        "name",
    )
    assert held.details_of([{"first_name": "A"}, {"locale": "uk"}]) == ("name", "locale")
