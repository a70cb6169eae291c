"""An event's title in each registrant's language, where its coordinator gave one: in the
emails and their invites; a change of those words alone writes to nobody.

Real: PostgreSQL (a private, migrated database: conftest's `service`), the service's
own handlers applied as its worker would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from notifications.adapters.models import Delivery
from sanctuary.contracts import EventScheduled, EventUpdated, RegistrationConfirmed
from sanctuary.runtime import Service
from sanctuary_dev.messages import apply
from sqlalchemy import select

pytestmark = pytest.mark.integration
STARTS = datetime.now(UTC) + timedelta(days=7)
TITLES = {"ar": "نزهة في الحديقة", "uk": "Пікнік у парку"}  # noqa: RUF001


def scheduled(**changes: object) -> EventScheduled:
    fields: dict[str, object] = {
        "event_id": uuid.UUID("00000000-0000-4000-8000-0000000000e2"),
        "title": "Picnic in the park",
        "titles": {"ar": TITLES["ar"]},
        "kind": "social",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "timezone": "Europe/London",
        "sequence": 0,
        "location": "Leeds",
    }
    return EventScheduled(**{**fields, **changes})  # type: ignore[arg-type]


def deliveries(service: Service) -> list[Delivery]:
    with service.sessions() as session:
        return list(session.scalars(select(Delivery)))


def confirmed(event: EventScheduled, locale: str) -> RegistrationConfirmed:
    return RegistrationConfirmed(
        registration_id=uuid.uuid4(),
        event_id=event.event_id,
        name=f"Reader {locale}",
        email=f"{locale}@example.org",
        locale=locale,
    )


def test_each_reader_gets_the_title_in_their_language_or_the_english(
    service: Service,
) -> None:
    event = scheduled()
    apply(service, event, *(confirmed(event, locale) for locale in ("ar", "uk", "en")))
    titles = {
        d.locale: (d.context["title"], d.context["event"]["title"]) for d in deliveries(service)
    }
    assert titles == {
        "ar": (TITLES["ar"], TITLES["ar"]),  # the email and its invite
        "uk": ("Picnic in the park", "Picnic in the park"),  # none given: the English
        "en": ("Picnic in the park", "Picnic in the park"),
    }


def test_a_change_of_the_other_languages_alone_writes_to_nobody(
    service: Service,
) -> None:
    event = scheduled()
    apply(service, event, confirmed(event, "uk"))
    before = len(deliveries(service))
    fields = {**event.__dict__, "titles": TITLES, "sequence": 1}
    apply(service, EventUpdated(**fields, changed=("translations",)))
    assert len(deliveries(service)) == before
    moved = {**fields, "sequence": 2, "starts_at": STARTS + timedelta(hours=1)}
    moved["ends_at"] = moved["starts_at"] + timedelta(hours=2)
    apply(service, EventUpdated(**moved, changed=("starts_at", "ends_at")))
    [update] = [d for d in deliveries(service) if d.template == "event_updated"]
    assert update.context["title"] == TITLES["uk"]  # the words kept from the quiet change
