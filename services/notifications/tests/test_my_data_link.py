"""The email with the link to a person's own data (/my-data, ADR 0026), as use cases on a
real database: sent only to an address held here, in the language asked in, once a request,
never for an expired request; its link made when sending, from the link id.

Real: PostgreSQL (a private, migrated database per test). The handlers are the service's
own, behind the erasure guard, applied as its worker would (`sanctuary_dev.messages.apply`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from mailing import BASE, EVENT, LEEDS, SECRET
from notifications.adapters import templating
from notifications.adapters.models import Delivery, Person
from notifications.domain import links
from notifications.service_layer.handlers.my_data import HeldRowsInBatch, on_data_link_requested
from sanctuary.contracts import DataLinkRequested, RegistrationConfirmed
from sanctuary.links import data_link_id, data_link_token
from sanctuary.runtime import Service
from sanctuary.vocabulary import DeliveryStatus
from sanctuary_dev.messages import apply, registered, requested
from sqlalchemy import select, update

pytestmark = pytest.mark.integration
AMINA = "amina@example.org"
WORKER = "worker@charity.example"
LOCALES = ("en", "ar", "uk")
HERE_IS = "Here is your link to see, download or erase the data we hold about you:"


def asked(email: str = AMINA, locale: str = "en", minutes: int = 30) -> DataLinkRequested:
    return DataLinkRequested(
        link_id=uuid.uuid4(),
        email=email,
        locale=locale,
        expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
    )


def link_emails(service: Service) -> list[Delivery]:
    with service.sessions() as session:
        query = select(Delivery).where(Delivery.template == "my_data_link")
        return list(session.scalars(query))


def as_sent(delivery: Delivery) -> str:
    """The text part with the secret links put in, as the mailer sends it."""
    assert delivery.rendered is not None
    made = links.secret_links(
        delivery.template, delivery.context, delivery.to_address, secret=SECRET, base_url=BASE
    )
    marks = links.link_marks(delivery.id, delivery.template, delivery.context)
    text = str(delivery.rendered["text"])
    for name, mark in marks.items():
        assert mark in text
        assert mark in str(delivery.rendered["html"])
        text = text.replace(mark, made[name])
    return text


def hold(service: Service, how: str, locale: str = "en") -> None:
    """Amina, held here as a person (Leeds), a registrant (Leeds), or only as the address a
    sent email went to (she referred someone: the network signs)."""
    if how == "person":
        apply(service, registered(name="Amina Khalid", email="Amina@Example.org", group_id=LEEDS))
    elif how == "registrant":
        place = RegistrationConfirmed(
            registration_id=uuid.uuid4(),
            event_id=EVENT,
            name="Amina Khalid",
            email="AMINA@example.org",
            group_id=LEEDS,
        )
        apply(service, place)
    else:
        apply(service, requested(name="Yonas", referrer_email=AMINA, group_id=LEEDS))
        with service.sessions.begin() as session:
            session.execute(update(Person).values(referrer_email="someone.else@example.org"))
            session.execute(update(Delivery).values(status=DeliveryStatus.SENT))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("how", ["person", "registrant", "delivery"])
def test_an_address_held_gets_one_email_with_its_link_in_the_language_asked_in(
    service: Service, how: str, locale: str
) -> None:
    hold(service, how)
    fact = asked(" Amina@EXAMPLE.org ", locale)
    apply(service, fact)

    [email] = link_emails(service)
    assert (email.to_address, email.locale) == (AMINA, locale)
    assert email.dedupe_key == f"my_data_link:{fact.link_id}"
    assert email.context["link_id"] == str(fact.link_id)
    assert email.context["expires_at"] == fact.expires_at.isoformat()
    assert email.group_id == (None if how == "delivery" else LEEDS)
    text = as_sent(email)
    token = data_link_token(SECRET, fact.link_id)
    assert f"{BASE}/my-data/{token}\n" in text
    assert token not in str(email.rendered) + str(email.context)  # made when sending only
    gettext = templating.catalogue(locale).gettext
    assert gettext(HERE_IS) in text
    assert email.context["expires"] in text
    assert ("Here is your link" in text) is (locale == "en")
    if how == "delivery":
        assert gettext("Hello,") in text  # her email named Yonas, not her
        assert "network@sanctuary.example" in text
    else:
        # In Arabic the name stands apart (U+2068 ... U+2069) from the words around it.
        name = "\u2068Amina Khalid\u2069" if locale == "ar" else "Amina Khalid"
        assert gettext("Dear %(name)s,") % {"name": name} in text
        assert "leeds@x.org" in text
    assert "unsubscribe" not in text.lower()  # always sent


def test_an_address_not_held_gets_nothing_and_the_log_names_the_link_only(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    hold(service, "person")
    fact = asked("nobody@example.org")
    with caplog.at_level(logging.INFO, logger="notifications.service_layer.handlers.my_data"):
        apply(service, fact)
    assert link_emails(service) == []
    [record] = [r for r in caplog.records if "no link sent" in r.getMessage()]
    assert record.getMessage() == "no data held: no link sent"
    assert record.link_id == str(fact.link_id)  # type: ignore[attr-defined]
    assert "nobody" not in str(vars(record))


def test_an_email_erased_holds_nothing(service: Service) -> None:
    hold(service, "delivery")
    with service.sessions.begin() as session:
        session.execute(update(Delivery).values(status=DeliveryStatus.ERASED))
    apply(service, asked())
    assert link_emails(service) == []


def test_an_expired_request_sends_nothing(service: Service) -> None:
    hold(service, "person")
    apply(service, asked(minutes=-1))
    assert link_emails(service) == []


def test_the_same_request_twice_sends_one_email(service: Service) -> None:
    hold(service, "person")
    fact = asked()
    apply(service, fact, fact)
    assert len(link_emails(service)) == 1
    apply(service, asked())  # a new request: a new link
    assert len(link_emails(service)) == 2


def test_the_link_made_when_sending_names_the_link_id_and_nothing_else(
    service: Service,
) -> None:
    hold(service, "registrant")
    fact = asked()
    apply(service, fact)
    [email] = link_emails(service)
    made = links.secret_links(
        email.template, email.context, email.to_address, secret=SECRET, base_url=BASE
    )
    assert set(made) == {"my_data_url"}
    token = made["my_data_url"].removeprefix(f"{BASE}/my-data/")
    assert data_link_id(SECRET, token) == fact.link_id
    assert data_link_id("another secret", token) is None
    assert data_link_id(SECRET, f"{uuid.uuid4()}.{token.partition('.')[2]}") is None


def test_a_group_not_known_yet_leaves_the_network_to_sign(service: Service) -> None:
    with service.sessions.begin() as session:  # her group's group.created is on its way
        session.add(
            Person(
                id=uuid.uuid4(), kind="volunteer", name="Amina", email=AMINA, group_id=uuid.uuid4()
            )
        )
    apply(service, asked())
    [email] = link_emails(service)
    assert email.group_id is None
    assert "network@sanctuary.example" in as_sent(email)


def test_nothing_held_in_a_batch_holding_rows_is_looked_at_again_alone(
    service: Service,
) -> None:
    """A person in the same worker batch is not in the table yet: the batch is applied again
    one message at a time rather than answering "not held"."""
    with service.unit_of_work() as uow:
        uow.batch_rows = {Person: [{"id": uuid.uuid4()}]}
        with pytest.raises(HeldRowsInBatch):
            on_data_link_requested(asked(), uow)
