"""Erasure in the notifications service through its real worker and mailer (ADR 0025): the
person's rows go, their emails are anonymised, a confirmation reaches them in their language,
its address and words then go too, and only then is person.erased announced; nothing about
them comes back, late or parked; the partner of an erased person still hears the match ended.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the worker (a thread),
the mailer and an SMTP server (aiosmtpd) over TCP.
"""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from kombu import Producer
from mailing import LEEDS, SECRET
from notifications.adapters import templating
from notifications.adapters.models import (
    Delivery,
    ErasureLog,
    Inbox,
    Outbox,
    Person,
    Registrant,
)
from notifications.config import NotificationsConfig
from notifications.entrypoints.mailer import Mailer
from sanctuary import contracts, envelope, topology
from sanctuary.contracts import (
    ErasureRequested,
    EventScheduled,
    MatchEnded,
    RegistrationConfirmed,
)
from sanctuary.links import address_hash
from sanctuary.runtime import Service
from sanctuary.vocabulary import DeliveryStatus, EventKind
from sanctuary_dev.looking import count, parked
from sanctuary_dev.messages import registered, requested
from sanctuary_dev.processes import running_worker, wait_until
from sanctuary_dev.servers import TEST_RETRY_DELAYS_MS
from sqlalchemy import select

pytestmark = pytest.mark.integration
AMINA = "amina@example.org"
YONAS = "yonas@example.org"


@pytest.fixture
def notifications(leeds_mailing: Service) -> Service:
    return leeds_mailing


def publish(service: Service, message: Any, queue: str | None = None) -> str:
    """Publish `message` with the full envelope, as a relay would: to the exchange, or
    straight into one of the service's queues (a parked message). Returns its id."""
    message_type, body = contracts.dump(message)
    env = envelope.Envelope(
        message_id=envelope.new_message_id(),
        type=message_type,
        correlation_id=str(uuid.uuid4()),
        app_id="gateway",
        timestamp=envelope.now_timestamp(),
        schema_version=contracts.schema_version(message_type),
        body=json.dumps(body).encode(),
    )
    with envelope.connect(service.config.amqp_url) as connection:
        channel = connection.channel()
        topology.declare_all(channel, TEST_RETRY_DELAYS_MS)
        envelope.publish(
            Producer(channel),
            env,
            exchange="" if queue else topology.EXCHANGE_NAME,
            routing_key=queue or message_type,
        )
    return env.message_id


def erase(service: Service, **fields: Any) -> ErasureRequested:
    """Publish person.erasure_requested; wait (with a worker running) until it is applied."""
    asked = ErasureRequested(erasure_id=uuid.uuid4(), requested_at=datetime.now(UTC), **fields)
    publish(service, asked)
    wait_until(lambda: count(service, ErasureLog) >= 1 and logged(service, asked) is not None)
    return asked


def logged(service: Service, asked: ErasureRequested) -> ErasureLog | None:
    with service.sessions() as session:
        return session.get(ErasureLog, str(asked.erasure_id))


def mailer(service: Service) -> Mailer:
    config = service.config
    assert isinstance(config, NotificationsConfig)
    return Mailer(service.engine, replace(config))


def received(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def rows(service: Service, model: Any, *where: Any) -> list[Any]:
    with service.sessions() as session:
        return list(session.scalars(select(model).where(*where)))


def announced(service: Service) -> list[Outbox]:
    return rows(service, Outbox, Outbox.type == "person.erased")


def a_cafe() -> EventScheduled:
    starts = datetime.now(UTC) + timedelta(days=7)
    return EventScheduled(
        event_id=uuid.uuid4(),
        title="Cafe",
        kind=EventKind.SOCIAL,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/London",
        sequence=0,
        location="Leeds",
    )


def test_the_erased_are_confirmed_in_their_language_and_only_then_announced(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    cafe = a_cafe()
    volunteer = registered(name="Amina Khalid", email=AMINA, locale="uk", group_id=LEEDS)
    place = RegistrationConfirmed(
        registration_id=uuid.uuid4(), event_id=cafe.event_id, name="Amina", email=AMINA
    )
    for message in (cafe, volunteer, place):
        publish(notifications, message)
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 2)
        assert mailer(notifications).send_due() == 2
        asked = erase(
            notifications,
            subject=address_hash(SECRET, AMINA),
            volunteer_ids=(volunteer.volunteer_id,),
        )
    assert count(notifications, Person) == 0
    assert count(notifications, Registrant) == 0
    for delivery in rows(notifications, Delivery, Delivery.template != "erasure_confirmed"):
        assert (delivery.to_address, delivery.context, delivery.rendered) == ("", {}, None)
    assert announced(notifications) == []  # not before the confirmation is out

    assert mailer(notifications).send_due() == 1
    confirmation = received(sink[1])[-1]
    assert confirmation["To"] == AMINA
    ukrainian = templating.catalogue("uk").gettext
    assert str(confirmation["Subject"]) == ukrainian("Your data has been erased")
    assert str(confirmation["Subject"]) != "Your data has been erased"
    assert confirmation["Reply-To"] == "leeds@x.org"
    text = text_of(confirmation)
    assert ukrainian("This is the last email we will send you.") in text
    assert "This is the last email" not in text
    assert "leeds@x.org" in text
    [row] = rows(notifications, Delivery, Delivery.template == "erasure_confirmed")
    assert row.status == DeliveryStatus.SENT
    assert (row.to_address, row.context, row.rendered) == ("", {}, None)
    [fact] = announced(notifications)
    assert row.sent_at is not None
    assert fact.created_at >= row.sent_at
    body = json.loads(fact.body)
    assert body["erasure_id"] == str(asked.erasure_id)
    assert body["counts"]["people"] == 1
    assert body["counts"]["registrants"] == 1


def test_a_crash_between_sending_and_announcing_is_made_good_by_the_next_mailer(
    notifications: Service, sink: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(notifications, registered(email=AMINA, group_id=LEEDS))
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 1)
        erase(notifications, subject=address_hash(SECRET, AMINA))

    def killed(self: Mailer) -> int:
        raise SystemExit("the mailer died after sending")

    monkeypatch.setattr(Mailer, "finish_erasures", killed)
    with pytest.raises(SystemExit):
        mailer(notifications).send_due()
    assert [m["To"] for m in received(sink[1])] == [AMINA]
    assert announced(notifications) == []
    monkeypatch.undo()

    assert mailer(notifications).send_due() == 0  # nothing more to send: it announces
    assert len(announced(notifications)) == 1
    assert len(received(sink[1])) == 1  # the confirmation went once
    [row] = rows(notifications, Delivery, Delivery.template == "erasure_confirmed")
    assert row.to_address == ""


def test_the_partner_of_an_erased_person_hears_the_match_ended_without_the_reason(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    volunteer = registered(name="Amina Khalid", email=AMINA, group_id=LEEDS)
    newcomer = requested(name="Yonas Tesfaye", email=YONAS, referrer_email=None, group_id=LEEDS)
    publish(notifications, volunteer)
    publish(notifications, newcomer)
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 2)
        erase(notifications, volunteer_ids=(volunteer.volunteer_id,), confirm=False)
        ended = MatchEnded(
            match_id=uuid.uuid4(),
            volunteer_id=volunteer.volunteer_id,
            newcomer_id=newcomer.newcomer_id,
            group_id=LEEDS,
            reason="withdrawn",
        )
        publish(notifications, ended)
        wait_until(lambda: count(notifications, Inbox) == 4)
    assert mailer(notifications).send_due() == 2  # Yonas's acknowledgement and the ending
    [ending] = [m for m in received(sink[1]) if str(m["Subject"]) == "Thank you"]
    assert ending["To"] == YONAS
    text = text_of(ending)
    assert "Your befriending has come to an end." in text
    assert "withdrawn" not in text
    assert "Amina" not in text
    assert "leeds@x.org" in text
    assert AMINA not in [m["To"] for m in received(sink[1])]
    assert len(announced(notifications)) == 1


def test_a_late_registration_of_an_erased_registration_is_dropped_and_nothing_is_sent(
    notifications: Service,
) -> None:
    cafe = a_cafe()
    registration_id = uuid.uuid4()
    publish(notifications, cafe)
    with running_worker(notifications):
        erase(notifications, registration_ids=(registration_id,))
        late = RegistrationConfirmed(
            registration_id=registration_id, event_id=cafe.event_id, name="Amina", email=AMINA
        )
        publish(notifications, late)
        wait_until(lambda: count(notifications, Inbox) == 3)
    assert count(notifications, Registrant) == 0
    assert count(notifications, Delivery) == 0
    assert mailer(notifications).send_due() == 0


def test_the_erasure_sweeps_parked_messages_naming_them_and_leaves_the_rest(
    notifications: Service,
) -> None:
    parking_lot = topology.service_queues("notifications", TEST_RETRY_DELAYS_MS).parked.name
    theirs = publish(notifications, registered(email=AMINA), queue=parking_lot)
    other = publish(notifications, registered(email="bo@example.org"), queue=parking_lot)
    assert sorted(p.message_id for p in parked(notifications)) == sorted([theirs, other])
    with running_worker(notifications):
        asked = erase(notifications, subject=address_hash(SECRET, AMINA), confirm=False)
    assert [p.message_id for p in parked(notifications)] == [other]
    found = logged(notifications, asked)
    assert found is not None
    assert found.counts["queued_messages"] == 1
