"""Erasure and subject access in notifications (ADR 0025), as use cases on a real database.

Real: PostgreSQL (a private, migrated database per test). The handlers are the service's
own, behind the erasure guard, applied as its worker would (`sanctuary_dev.messages.apply`);
no worker: the sweep of queued messages is the integration test's (test_erasure.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kombu import Connection, Producer
from mailing import EVENT, LEEDS, SECRET
from notifications.adapters import templating
from notifications.adapters.deliveries import DeliveryStore
from notifications.adapters.models import (
    Delivery,
    ErasureLog,
    EventCopy,
    Outbox,
    Person,
    Registrant,
    Tombstone,
    Unsubscribe,
)
from notifications.config import NotificationsConfig
from notifications.entrypoints.web import create_app
from notifications.service_layer import privacy, subject_access, unsubscribes
from notifications.service_layer import retention as expiry
from notifications.service_layer.handlers.people import PersonNotYetKnown
from sanctuary import erasure, topology
from sanctuary.contracts import (
    DetailsChanged,
    ErasureRequested,
    MatchApproved,
    MatchEnded,
    RegistrationConfirmed,
)
from sanctuary.links import address_hash
from sanctuary.retention import Retention
from sanctuary.runtime import Service
from sanctuary.vocabulary import DeliveryStatus
from sanctuary_dev.messages import apply, registered, requested
from sqlalchemy import select, update

pytestmark = pytest.mark.integration
AMINA = "amina@example.org"
WORKER = "worker@charity.example"


def request(**fields: Any) -> ErasureRequested:
    values: dict[str, Any] = {
        "erasure_id": uuid.uuid4(),
        "requested_at": datetime.now(UTC),
        **fields,
    }
    return ErasureRequested(**values)


def erase(service: Service, **fields: Any) -> ErasureRequested:
    """Apply person.erasure_requested through the service's own handler."""
    asked = request(**fields)
    apply(service, asked)
    return asked


def rows(service: Service, model: Any, *where: Any) -> list[Any]:
    with service.sessions() as session:
        return list(session.scalars(select(model).where(*where)))


def published(service: Service, kind: str = "person.erased") -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in rows(service, Outbox, Outbox.type == kind)]


def amina(service: Service, locale: str = "ar") -> uuid.UUID:
    """Amina signs up (Leeds, Arabic), and registers for the cafe."""
    fact = registered(name="Amina Khalid", email=AMINA, locale=locale, group_id=LEEDS)
    confirmed = RegistrationConfirmed(
        registration_id=uuid.uuid4(),
        event_id=EVENT,
        name="Amina Khalid",
        email="Amina@Example.org",
        locale=locale,
        group_id=LEEDS,
    )
    apply(service, fact, confirmed)
    return fact.volunteer_id


def finish(service: Service) -> int:
    with service.unit_of_work() as uow:
        return privacy.finish_erasures(uow)


def mark(service: Service, template: str, status: str) -> None:
    """What the mailer does once it has sent (or given up) an email."""
    with service.sessions.begin() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.template == template)
            .values(status=status, rendered=None, sent_at=datetime.now(UTC))
        )


def test_their_rows_go_their_emails_are_anonymised_and_a_confirmation_is_planned(
    service: Service,
) -> None:
    volunteer_id = amina(service)
    mark(service, "volunteer_welcome", DeliveryStatus.SENT)  # one sent, one still pending
    [registration] = rows(service, Registrant)
    asked = erase(service, subject=address_hash(SECRET, AMINA), volunteer_ids=(volunteer_id,))

    assert rows(service, Person) == []
    assert rows(service, Registrant) == []
    deliveries = {d.template: d for d in rows(service, Delivery)}
    assert deliveries["volunteer_welcome"].status == DeliveryStatus.SENT
    assert deliveries["registration_confirmed"].status == DeliveryStatus.ERASED  # never sent
    for template in ("volunteer_welcome", "registration_confirmed"):
        d = deliveries[template]
        assert (d.to_address, d.context, d.rendered, d.last_error) == ("", {}, None, None)
        assert d.group_id == LEEDS
    confirmation = deliveries["erasure_confirmed"]
    assert confirmation.dedupe_key == f"erasure_confirmed:{asked.erasure_id}"
    assert (confirmation.to_address, confirmation.locale) == (AMINA, "ar")
    assert confirmation.status == DeliveryStatus.PENDING
    assert confirmation.rendered is not None
    assert "leeds@x.org" in confirmation.rendered["text"]
    assert "Leeds" in confirmation.rendered["text"]
    [logged] = rows(service, ErasureLog)
    assert logged.announced_at is None
    assert logged.counts == {
        "people": 1,
        "referrer_addresses": 0,
        "registrants": 1,
        "deliveries": 2,
        "outbox_messages": 0,
        "queued_messages": 0,
    }
    assert published(service) == []  # not before the confirmation is out
    stones = {t.key for t in rows(service, Tombstone)}
    assert stones == {
        str(volunteer_id),
        str(registration.registration_id),
        address_hash(SECRET, AMINA),
    }


def test_the_erasure_is_announced_once_the_confirmation_is_out_and_then_holds_nothing(
    service: Service,
) -> None:
    amina(service)
    erase(service, subject=address_hash(SECRET, AMINA))
    assert finish(service) == 0  # still pending
    mark(service, "erasure_confirmed", DeliveryStatus.SENT)
    assert finish(service) == 1
    [confirmation] = rows(service, Delivery, Delivery.template == "erasure_confirmed")
    assert (confirmation.to_address, confirmation.context, confirmation.rendered) == ("", {}, None)
    assert confirmation.status == DeliveryStatus.SENT
    [announced] = published(service)
    assert announced["service"] == "notifications"
    assert announced["counts"]["people"] == 1
    assert finish(service) == 0  # idempotent: announced once
    assert len(published(service)) == 1


def test_a_confirmation_given_up_is_announced_too(service: Service) -> None:
    amina(service)
    erase(service, subject=address_hash(SECRET, AMINA))
    mark(service, "erasure_confirmed", DeliveryStatus.FAILED)
    assert finish(service) == 1
    assert len(published(service)) == 1


def test_a_crash_while_announcing_leaves_it_to_the_next_call(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina(service)
    erase(service, subject=address_hash(SECRET, AMINA))
    mark(service, "erasure_confirmed", DeliveryStatus.SENT)

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(erasure, "announce", crash)
    with pytest.raises(RuntimeError):
        finish(service)
    monkeypatch.undo()
    [logged] = rows(service, ErasureLog)
    assert logged.announced_at is None
    assert published(service) == []
    assert finish(service) == 1
    assert len(published(service)) == 1


def test_without_confirm_or_without_an_address_it_is_announced_at_once(
    service: Service,
) -> None:
    volunteer_id = amina(service)
    erase(service, volunteer_ids=(volunteer_id,), confirm=False)
    assert rows(service, Delivery, Delivery.template == "erasure_confirmed") == []
    assert len(published(service)) == 1
    erase(service, newcomer_ids=(uuid.uuid4(),))  # nobody we hold
    [_, nobody] = published(service)
    assert set(nobody["counts"].values()) == {0}
    assert rows(service, Delivery, Delivery.template == "erasure_confirmed") == []


def test_the_unsubscribe_hash_is_kept_with_its_reason_and_the_email_says_so(
    service: Service,
) -> None:
    amina(service, locale="en")
    with service.unit_of_work() as uow:
        unsubscribes.record(uow, address_hash(SECRET, AMINA), "reminders")
    erase(service, subject=address_hash(SECRET, AMINA))
    assert len(rows(service, Unsubscribe)) == 1
    [logged] = rows(service, ErasureLog)
    assert logged.kept == {"unsubscribes": privacy.KEPT_UNSUBSCRIBES}
    [confirmation] = rows(service, Delivery, Delivery.template == "erasure_confirmed")
    text = confirmation.rendered["text"]
    assert "Dear Amina Khalid," in text
    assert "erased your personal data from every part of our system" in text
    assert "keep honouring your request for no more emails" in text
    assert "Anonymous counts" in text
    assert "write to leeds@x.org" in text


def test_a_newcomer_with_a_phone_only_is_emailed_nothing_and_no_number_is_kept(
    service: Service,
) -> None:
    """Nobody to write to: no acknowledgement, no introduction to them (a coordinator calls
    them, ADR 0039); the volunteer of the pair still hears. The number never lands here."""
    fact = requested(name="Yonas Tesfaye", email=None, referrer_email=None, phone="+441134960123")
    volunteer = registered(name="Amina Khalid", email=AMINA, group_id=LEEDS)
    apply(service, fact, volunteer)
    ids = {"match_id": uuid.uuid4(), "volunteer_id": volunteer.volunteer_id}
    apply(service, MatchApproved(**ids, newcomer_id=fact.newcomer_id))
    [person] = rows(service, Person, Person.id == fact.newcomer_id)
    assert (person.email, person.referrer_email) == (None, None)
    assert not hasattr(person, "phone")
    sent = {(d.template, d.to_address) for d in rows(service, Delivery)}
    assert sent == {("volunteer_welcome", AMINA), ("match_introduction", AMINA)}


def test_a_referrer_erased_leaves_the_newcomer_they_referred(service: Service) -> None:
    fact = requested(name="Yonas Tesfaye", email=None, referrer_email=WORKER)
    apply(service, fact)
    asked = erase(service, subject=address_hash(SECRET, WORKER))
    [person] = rows(service, Person)
    assert (person.id, person.name, person.referrer_email) == (
        fact.newcomer_id,
        "Yonas Tesfaye",
        None,
    )
    assert str(fact.newcomer_id) not in {t.key for t in rows(service, Tombstone)}
    [logged] = rows(service, ErasureLog)
    assert logged.counts["referrer_addresses"] == 1
    assert logged.counts["people"] == 0
    [ack] = rows(service, Delivery, Delivery.template == "newcomer_request_received")
    assert ack.to_address == ""
    [confirmation] = rows(service, Delivery, Delivery.template == "erasure_confirmed")
    assert confirmation.to_address == WORKER
    assert "Yonas" not in confirmation.rendered["text"]  # the greeting is theirs, not his
    assert confirmation.dedupe_key.endswith(str(asked.erasure_id))


def test_match_ended_with_one_erased_tells_the_other_without_the_reason(
    service: Service,
) -> None:
    volunteer = registered(name="Amina Khalid", email=AMINA, group_id=LEEDS)
    newcomer = requested(name="Yonas Tesfaye", email="yonas@example.org", group_id=LEEDS)
    apply(service, volunteer, newcomer)
    erase(service, volunteer_ids=(volunteer.volunteer_id,), confirm=False)
    ended = MatchEnded(
        match_id=uuid.uuid4(),
        volunteer_id=volunteer.volunteer_id,
        newcomer_id=newcomer.newcomer_id,
        group_id=LEEDS,
        reason="withdrawn",
    )
    apply(service, ended)
    [email] = rows(service, Delivery, Delivery.template == "match_ended")
    assert email.to_address == "yonas@example.org"
    text = email.rendered["text"]
    assert "Your befriending has come to an end." in text
    assert "Amina" not in text
    assert "withdrawn" not in text
    assert "write to leeds@x.org" in text


def test_match_ended_with_both_erased_sends_nothing_and_an_unknown_one_still_waits(
    service: Service,
) -> None:
    volunteer = registered(email=AMINA)
    newcomer = requested(email="yonas@example.org")
    apply(service, volunteer, newcomer)
    erase(service, volunteer_ids=(volunteer.volunteer_id,), confirm=False)
    erase(service, newcomer_ids=(newcomer.newcomer_id,), confirm=False)
    ids = {"volunteer_id": volunteer.volunteer_id, "newcomer_id": newcomer.newcomer_id}
    apply(service, MatchEnded(match_id=uuid.uuid4(), reason="withdrawn", **ids))
    assert rows(service, Delivery, Delivery.template == "match_ended") == []
    with pytest.raises(PersonNotYetKnown):
        apply(
            service,
            MatchEnded(
                match_id=uuid.uuid4(),
                volunteer_id=uuid.uuid4(),
                newcomer_id=newcomer.newcomer_id,
                reason="ended",
            ),
        )


def test_a_late_fact_about_an_erased_registration_is_dropped(service: Service) -> None:
    registration_id = uuid.uuid4()
    erase(service, registration_ids=(registration_id,))
    late = RegistrationConfirmed(
        registration_id=registration_id, event_id=EVENT, name="Amina", email=AMINA
    )
    apply(service, late)
    assert rows(service, Registrant) == []
    assert rows(service, Delivery) == []


def test_an_email_being_sent_when_its_reader_is_erased_stays_erased_if_it_fails(
    service: Service,
) -> None:
    volunteer_id = amina(service)
    config = service.config
    assert isinstance(config, NotificationsConfig)
    store = DeliveryStore(service.engine, config)
    claimed = store.claim()
    erase(service, volunteer_ids=(volunteer_id,), confirm=False)
    for c in claimed:
        store.record_failure(c, {"status": DeliveryStatus.PENDING, "attempts": 1})
    assert {d.status for d in rows(service, Delivery)} == {DeliveryStatus.ERASED}


def test_an_erasure_in_a_batch_holding_rows_is_applied_alone(service: Service) -> None:
    with service.unit_of_work() as uow:
        uow.batch_rows = {Person: [{"id": uuid.uuid4()}]}
        with pytest.raises(privacy.ErasureAppliedAlone):
            privacy.erase(SECRET, request(), erasure.Keys(), uow)


def test_export_holds_every_row_about_them_and_no_one_elses(service: Service) -> None:
    volunteer_id = amina(service, locale="en")
    with service.unit_of_work() as uow:
        unsubscribes.record(uow, address_hash(SECRET, AMINA), "reminders")
    referred = requested(name="Yonas Tesfaye", email=None, referrer_email=AMINA)
    apply(service, referred, registered(email="someone@else.org"))
    with service.sessions() as session:
        found = subject_access.export(session, SECRET, "AMINA@example.org ", [])
    records = found["records"]
    assert [p["id"] for p in records["people"]] == [str(volunteer_id)]
    assert records["referrals"] == [{"referrer_email": AMINA, "first_name": "Yonas"}]
    assert [r["email"] for r in records["registrants"]] == ["Amina@Example.org"]
    templates = sorted(d["template"] for d in records["deliveries"])
    assert templates == ["newcomer_request_received", "registration_confirmed", "volunteer_welcome"]
    assert {d["to_address"] for d in records["deliveries"]} == {AMINA, "Amina@Example.org"}
    assert all(d["subject"] for d in records["deliveries"])
    assert [u["category"] for u in records["unsubscribes"]] == ["reminders"]
    assert "address_hash" not in records["unsubscribes"][0]
    assert found["ids"]["volunteer_ids"] == [str(volunteer_id)]
    assert found["ids"]["newcomer_ids"] == []  # Yonas is not theirs
    assert len(found["ids"]["registration_ids"]) == 1
    assert found["group_ids"] == [str(LEEDS)]
    assert "someone@else.org" not in json.dumps(found)


def test_export_by_ids_shows_an_email_to_their_referrer_without_the_referrers_address(
    service: Service,
) -> None:
    referred = requested(name="Yonas Tesfaye", email=None, referrer_email=WORKER)
    apply(service, referred)
    with service.sessions() as session:
        found = subject_access.export(session, SECRET, None, [referred.newcomer_id])
    [delivery] = found["records"]["deliveries"]
    assert delivery["to_address"] is None
    assert found["ids"]["newcomer_ids"] == [str(referred.newcomer_id)]


def test_the_subjects_route_answers_with_the_service_credential_only(service: Service) -> None:
    volunteer_id = amina(service)
    client = create_app(service.config).test_client()
    auth = {"Authorization": "Bearer s3cret"}
    body = {"email": AMINA, "volunteer_ids": [str(volunteer_id)]}
    assert client.post("/internal/v1/subjects", json=body).status_code == 401
    answer = client.post("/internal/v1/subjects", json=body, headers=auth)
    assert answer.status_code == 200
    assert answer.json["service"] == "notifications"
    assert set(answer.json) == {"service", "records", "ids", "group_ids"}
    assert answer.json["ids"]["volunteer_ids"] == [str(volunteer_id)]
    assert answer.json["records"]["queued_messages"] == []
    # A message about them parked (and one about someone else): the first is in the export,
    # with why it waits, and both stay parked.
    queues = topology.service_queues("notifications", service.config.retry_delays_ms)
    with Connection(service.config.amqp_url) as connection:
        channel = connection.channel()
        topology.declare_all(channel, service.config.retry_delays_ms)
        producer = Producer(channel)
        for name, address in (("Amina Khalid", AMINA), ("Omar", "omar@example.org")):
            producer.publish(
                {"name": name, "email": address},
                routing_key=queues.parked.name,
                exchange="",
                type="volunteer.registered",
                message_id=str(uuid.uuid4()),
                headers={"x-parked-reason": "schema: volunteer_id missing"},
            )
        channel.close()
    answer = client.post("/internal/v1/subjects", json=body, headers=auth)
    [parked] = answer.json["records"]["queued_messages"]
    assert parked["queue"] == queues.parked.name
    assert (parked["type"], parked["reason"]) == (
        "volunteer.registered",
        "schema: volunteer_id missing",
    )
    assert parked["body"] == {"name": "Amina Khalid", "email": AMINA}
    again = client.post("/internal/v1/subjects", json=body, headers=auth)
    assert again.json["records"]["queued_messages"] == [parked]  # read, and put back
    bad = client.post("/internal/v1/subjects", json={"volunteer_ids": ["nope"]}, headers=auth)
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    assert "volunteer_ids" in bad.get_data(as_text=True)
    app = client.application
    app.extensions["service"].engine.dispose()


@pytest.mark.parametrize("locale", ["en", "ar", "uk"])
@pytest.mark.parametrize("unsubscribed", [True, False])
def test_the_confirmation_reads_whole_in_every_language(locale: str, unsubscribed: bool) -> None:
    from notifications import domain
    from notifications.adapters import mail
    from notifications.domain import privacy as rules

    reader = rules.Reader(AMINA, "Amina", locale, LEEDS, "volunteer")
    planned = rules.confirmation(uuid.uuid4(), reader, unsubscribed)
    group = domain.signature("Leeds", "leeds@x.org", local=True)
    parts = mail.render_parts(planned.template, {**planned.context, "group": group}, locale)
    gettext = templating.catalogue(locale).gettext
    scrambled = gettext(
        "A scrambled code made from your email address, which cannot be turned back into it, "
        "so that we keep honouring your request for no more emails."
    )
    for body in (parts.text, parts.html):
        assert "%(" not in body
        assert gettext("With warm thanks,") in body
        assert "leeds@x.org" in body
        assert (scrambled in body) is unsubscribed
    assert parts.subject == gettext("Your data has been erased")
    assert ('dir="rtl"' in parts.html) is (locale == "ar")
    if locale != "en":
        assert "With warm thanks" not in parts.text


def test_a_persons_own_change_renames_them_and_sets_their_emails(service: Service) -> None:
    """person.details_changed (ADR 0027): the corrected name greets them from now on, in the
    emails about their match and their places; the optional emails are exactly as chosen."""
    volunteer_id = amina(service)
    [place] = rows(service, Registrant)
    hashed = address_hash(SECRET, AMINA)
    with service.unit_of_work() as uow:
        unsubscribes.record(uow, hashed, "checkins")

    def change(**fields: Any) -> None:
        fact = DetailsChanged(change_id=uuid.uuid4(), changed_at=datetime.now(UTC), **fields)
        apply(service, fact)

    change(
        subject=hashed,
        volunteer_ids=(volunteer_id,),
        registration_ids=(place.registration_id,),
        name="Amina K.",
        emails_stopped=("reminders",),
    )
    assert [p.name for p in rows(service, Person)] == ["Amina K."]
    assert [r.name for r in rows(service, Registrant)] == ["Amina K."]
    assert [u.category for u in rows(service, Unsubscribe)] == ["reminders"]
    change(subject=hashed, emails_stopped=())  # every optional email again; the name stays
    assert rows(service, Unsubscribe) == []
    assert [p.name for p in rows(service, Person)] == ["Amina K."]


def test_emails_and_registrants_are_forgotten_on_schedule(service: Service) -> None:
    """The retention schedule (ADR 0028), with a fake clock on both sides of each edge: an
    email sent loses its address and words 90 days after it was written (its template,
    status and group stay); one still being tried is left to the mailer; the registrants of
    an event are forgotten six months after it ended."""
    amina(service)
    mark(service, "volunteer_welcome", DeliveryStatus.SENT)  # the others are still pending
    [welcome] = rows(service, Delivery, Delivery.template == "volunteer_welcome")
    waiting = rows(service, Delivery, Delivery.template != "volunteer_welcome")
    assert waiting
    schedule = Retention()

    def expire(now: datetime) -> dict[str, int]:
        with service.unit_of_work() as uow:
            return expiry.apply(uow, now, schedule)

    written = erasure.aware(welcome.created_at)
    edge = written + timedelta(days=schedule.sent_emails)
    assert expire(edge) == {"emails": 0, "registrants": 0}
    assert expire(edge + timedelta(seconds=1)) == {"emails": 1, "registrants": 0}
    [blank] = rows(service, Delivery, Delivery.id == welcome.id)
    assert (blank.to_address, blank.context, blank.rendered) == ("", {}, None)
    assert all(d.to_address for d in rows(service, Delivery, Delivery.id != welcome.id))
    assert (blank.template, blank.status, blank.group_id) == (
        welcome.template,
        DeliveryStatus.SENT,
        welcome.group_id,
    )
    [event] = rows(service, EventCopy)
    ended = erasure.aware(event.ends_at) + timedelta(days=schedule.registrations)
    assert expire(ended)["registrants"] == 0
    assert expire(ended + timedelta(seconds=1))["registrants"] == 1
    assert rows(service, Registrant) == []
