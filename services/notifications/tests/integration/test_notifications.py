"""The notifications worker and mailer, against a real SMTP server (aiosmtpd, in the test).

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), SMTP over TCP.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from notifications.adapters.models import Delivery, Inbox
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from notifications.entrypoints.mailer import Mailer
from sanctuary.runtime import Service
from sanctuary_dev import mailsink
from sanctuary_dev.messages import apply, group_created, publish_message, registered, requested
from sanctuary_dev.processes import running_worker, wait_until
from sqlalchemy import func, select

pytestmark = pytest.mark.integration


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real SMTP server that saves what it receives; yields (port, folder)."""
    controller = mailsink.start(tmp_path / "mail")
    yield controller.port, tmp_path / "mail"
    controller.stop()


@pytest.fixture
def notifications(make_service: Callable[..., Service], sink: tuple[int, Path]) -> Service:
    """The notifications service on its own database and vhost, mailing the sink; it knows
    the network's own group (which `migrate` seeds and announces)."""
    service = make_service(
        bootstrap, "notifications", NotificationsConfig, smtp_host="127.0.0.1", smtp_port=sink[0]
    )
    apply(service, group_created())
    return service


def mailer(service: Service, **overrides: Any) -> Mailer:
    config = service.config
    assert isinstance(config, NotificationsConfig)
    return Mailer(service.engine, replace(config, **overrides))


def count(service: Service, model: Any, *where: Any) -> int:
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def received(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


def test_a_registration_delivered_twice_sends_one_welcome_email(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """Same message twice, and the same news under a new id: one delivery, one email."""
    event = registered(name="Amina", email="amina@example.org")
    url = notifications.config.amqp_url
    publish_message(url, event, message_id="9e0f0c66-0000-4000-8000-000000000001")
    publish_message(url, event, message_id="9e0f0c66-0000-4000-8000-000000000001")
    publish_message(url, event)
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Inbox) == 2)
    assert count(notifications, Delivery) == 1
    assert mailer(notifications).send_due() == 1
    assert mailer(notifications).send_due() == 0
    [message] = received(sink[1])
    assert message["To"] == "amina@example.org"
    assert message.is_multipart()
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "Dear Amina," in parts["text/plain"]
    assert "Dear Amina," in parts["text/html"]


def test_an_email_that_cannot_be_rendered_parks_its_message_with_the_reason(
    notifications: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template bug is found when the message arrives: parked, nothing planned; the next
    message is still applied, and the parked one replays once the template is fixed."""
    from jinja2 import ChoiceLoader, DictLoader
    from notifications.adapters import mail
    from sanctuary import parking
    from sanctuary.envelope import connect

    working = mail.templates

    def broken(locale: str) -> Any:
        environment = working(locale).overlay()
        environment.loader = ChoiceLoader(
            [
                DictLoader({"volunteer_welcome.txt": "Dear {{ no_such_value }},"}),
                working(locale).loader,
            ]
        )
        return environment

    monkeypatch.setattr(mail, "templates", broken)
    url = notifications.config.amqp_url
    publish_message(url, registered(name="Amina", email="amina@example.org"))
    publish_message(url, requested(name="Yonas", email="yonas@example.org"))

    def parked() -> list[parking.ParkedMessage]:
        with connect(url) as connection:
            return parking.list_parked(
                connection, "notifications", notifications.config.retry_delays_ms
            )

    with running_worker(notifications):
        [found] = wait_until(parked, timeout=15)
        wait_until(lambda: count(notifications, Delivery) == 1)
    assert "cannot render volunteer_welcome" in found.reason
    assert "no_such_value" in found.reason
    assert count(notifications, Delivery, Delivery.template == "volunteer_welcome") == 0

    monkeypatch.setattr(mail, "templates", working)
    with connect(url) as connection:
        parking.replay(
            connection, "notifications", notifications.config.retry_delays_ms, [found.message_id]
        )
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 2)
    assert count(notifications, Delivery, Delivery.template == "volunteer_welcome") == 1


def test_names_are_escaped_in_the_html_email(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """A name is text, never markup."""
    publish_message(notifications.config.amqp_url, registered(name="<b>Bo</b>"))
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 1)
    mailer(notifications).send_due()
    [message] = received(sink[1])
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    assert "&lt;b&gt;Bo&lt;/b&gt;" in html.get_payload(decode=True).decode()


def test_smtp_failing_keeps_the_email_pending_and_it_is_sent_later(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """A server that is down costs a delay, not the email, nor one of its tries."""
    publish_message(notifications.config.amqp_url, registered())
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 1)
    assert mailer(notifications, smtp_port=mailsink.free_port()).send_due() == 1
    with notifications.sessions() as session:
        delivery = session.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert mailer(notifications).send_due() == 1
    assert count(notifications, Delivery, Delivery.status == "sent") == 1
    assert len(received(sink[1])) == 1


class RefusingHandler:
    """An SMTP server that knows no such mailbox."""

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        options: Any,
    ) -> str:
        return "550 5.1.1 No such mailbox"


def test_a_refused_recipient_fails_the_delivery_without_retrying(
    notifications: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """A 5xx answer will not change: the delivery is marked failed, the address kept out of logs."""
    publish_message(notifications.config.amqp_url, registered())
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 1)
    refusing = mailsink.start(Path("unused"), handler=RefusingHandler())
    try:
        mailer(notifications, smtp_port=refusing.port).send_due()
    finally:
        refusing.stop()
    with notifications.sessions() as session:
        delivery = session.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert (delivery.last_error or "").startswith("550 5.1.1")  # the SMTP reply, kept
    assert "volunteer@example.org" not in (delivery.last_error or "")
    # Our own log lines, that is; the test's SMTP server logs the address it refused.
    ours = " ".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("notifications", "sanctuary"))
    )
    assert "could not send" in ours
    assert "volunteer@example.org" not in ours


def an_event(**changes: Any) -> Any:
    import uuid as _uuid

    from sanctuary.contracts import EventScheduled

    starts = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    fields = {
        "event_id": _uuid.uuid4(),
        "title": "Safeguarding for befrienders",
        "kind": "webinar",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "timezone": "Europe/London",
        "sequence": 0,
        "online_url": "https://meet.example/s",
    }
    return EventScheduled(**{**fields, **changes})


def registration(kind: type, event: Any, **extra: Any) -> Any:
    import uuid as _uuid

    return kind(
        registration_id=_uuid.uuid4(),
        event_id=event.event_id,
        name="Ana",
        email="ana@example.org",
        **extra,
    )


def attachment(message: email.message.Message) -> Any:
    from icalendar import Calendar

    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def test_a_confirmation_that_comes_before_its_event_waits_then_sends_an_invite(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """Out of order is deferred, not lost; the email has the link, the invite and a cancel
    link that the events service would accept."""
    from sanctuary.contracts import RegistrationConfirmed
    from sanctuary.links import is_cancel_token

    event = an_event()
    confirmed = registration(RegistrationConfirmed, event)
    url = notifications.config.amqp_url
    with running_worker(notifications):
        publish_message(url, confirmed)  # before the event's details
        publish_message(url, event)
        wait_until(lambda: count(notifications, Delivery) == 1, timeout=15)
    mailer(notifications).send_due()
    [message] = received(sink[1])
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "When: Saturday, 5 December 2026, 10:30\u201312:30 (London time)\n" in body
    assert "https://meet.example/s" in body
    link = next(line for line in body.splitlines() if "/cancel?token=" in line).strip()
    token = link.split("token=")[1]
    assert link.startswith(f"http://localhost:8000/registrations/{confirmed.registration_id}")
    assert is_cancel_token(notifications.config.link_secret, confirmed.registration_id, token)
    invite = attachment(message)
    assert invite["method"] == "REQUEST"
    [vevent] = invite.walk("VEVENT")
    assert str(vevent["uid"]) == f"{event.event_id}@sanctuary-network"
    assert int(vevent["sequence"]) == 0
    assert vevent.decoded("dtstart") == event.starts_at


def test_waiting_promotion_and_cancellation_each_send_their_own_email(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """Waitlisted with the position and no invite; promoted with one; cancelled removes it."""
    import uuid as _uuid

    from sanctuary.contracts import (
        RegistrationCancelled,
        RegistrationPromoted,
        RegistrationWaitlisted,
    )

    event = an_event(kind="training", online_url=None, location="Library, LS6", sequence=2)
    rid = _uuid.uuid4()
    common = {
        "registration_id": rid,
        "event_id": event.event_id,
        "name": "Bo",
        "email": "bo@example.org",
    }
    url = notifications.config.amqp_url
    with running_worker(notifications):
        publish_message(url, event)
        publish_message(url, RegistrationWaitlisted(**common, position=3))
        publish_message(url, RegistrationPromoted(**common))
        publish_message(url, RegistrationCancelled(**common))
        wait_until(lambda: count(notifications, Delivery) == 3, timeout=15)
    mailer(notifications).send_due()
    by_subject = {m["Subject"].split(":")[0]: m for m in received(sink[1])}
    assert set(by_subject) == {
        "You are on the waiting list",
        "A place has come free for you",
        "Cancelled",
    }
    waiting = by_subject["You are on the waiting list"]
    assert "number 3" in waiting.get_body(("plain",)).get_content()
    assert not [p for p in waiting.walk() if p.get_content_type() == "text/calendar"]
    assert attachment(by_subject["A place has come free for you"])["method"] == "REQUEST"
    cancel = attachment(by_subject["Cancelled"])
    assert cancel["method"] == "CANCEL"
    assert int(next(iter(cancel.walk("VEVENT")))["sequence"]) == 2


def test_a_second_request_for_a_held_place_tells_its_owner_once_a_day_in_their_words(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """ADR 31: whoever asked again was answered as if new, so the address's owner is told,
    under the name and in the language of their own place (never the name the new request
    typed, which could be anything), once a day however often it is asked; other
    rejections send nothing."""
    import uuid as _uuid

    from sanctuary.contracts import RegistrationConfirmed, RegistrationRejected

    event = an_event()
    held = registration(RegistrationConfirmed, event, locale="ar")
    asked = {"event_id": event.event_id, "name": "Not Ana at all", "email": "ana@example.org"}
    again = [
        RegistrationRejected(
            registration_id=_uuid.uuid4(),
            **asked,
            reason="already_registered",
            existing_registration_id=held.registration_id,
        )
        for _ in range(3)
    ]
    closed = RegistrationRejected(
        registration_id=_uuid.uuid4(), **asked, reason="registration_closed"
    )
    url = notifications.config.amqp_url
    with running_worker(notifications):
        for message in (event, held, *again, closed):
            publish_message(url, message)
        wait_until(lambda: count(notifications, Inbox) == 6, timeout=15)
    assert count(notifications, Delivery) == 2  # the confirmation and one notice
    mailer(notifications).send_due()
    [notice] = [m for m in received(sink[1]) if "طلب شخص ما مكانك مرة أخرى" in m["Subject"]]
    assert notice["To"] == "ana@example.org"
    body = notice.get_body(("plain",)).get_content()
    assert "Ana" in body
    assert "Not Ana" not in body
    assert f"/registrations/{held.registration_id}/cancel?token=" in body


def test_changes_reminders_and_cancellation_reach_the_right_people_once(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """A change goes to people with a place (new invite, SEQUENCE raised); a reminder to its
    registrant; a cancellation to everyone registered, once, however often it is told."""
    import uuid as _uuid

    from sanctuary.contracts import (
        EventCancelled,
        EventReminderDue,
        EventUpdated,
        RegistrationConfirmed,
        RegistrationWaitlisted,
    )

    event = an_event()
    placed = registration(RegistrationConfirmed, event)
    waiting = RegistrationWaitlisted(
        registration_id=_uuid.uuid4(),
        event_id=event.event_id,
        name="Bo",
        email="bo@example.org",
        position=1,
    )
    moved = EventUpdated(
        **{
            **event.__dict__,
            "sequence": 1,
            "title": "Safeguarding (moved)",
            "starts_at": event.starts_at + timedelta(days=1),
            "ends_at": event.ends_at + timedelta(days=1),
        },
        changed=("starts_at", "ends_at", "title"),
    )
    reminder = EventReminderDue(
        registration_id=placed.registration_id,
        event_id=event.event_id,
        name="Ana",
        email="ana@example.org",
        reminder="hour",
        starts_at=moved.starts_at,
    )
    cancelled = EventCancelled(
        event_id=event.event_id, title=moved.title, starts_at=moved.starts_at, sequence=2
    )
    url = notifications.config.amqp_url
    with running_worker(notifications):
        publish_message(url, event)
        publish_message(url, placed)
        publish_message(url, waiting)
        wait_until(lambda: count(notifications, Delivery) == 2)
        publish_message(url, moved)
        wait_until(lambda: count(notifications, Delivery) == 3)
        publish_message(url, reminder)
        wait_until(lambda: count(notifications, Delivery) == 4)
        publish_message(url, cancelled, message_id="c0ffee00-0000-4000-8000-000000000001")
        publish_message(url, cancelled, message_id="c0ffee00-0000-4000-8000-000000000001")
        publish_message(url, cancelled)  # told again under a new id: nobody is left to tell
        wait_until(lambda: count(notifications, Inbox) == 7)  # the repeat is skipped
    assert count(notifications, Delivery) == 6
    mailer(notifications).send_due()
    mails = received(sink[1])
    subjects = sorted((m["To"], m["Subject"]) for m in mails)
    assert subjects == [
        ("ana@example.org", "Cancelled by the organisers: Safeguarding (moved)"),
        ("ana@example.org", "Changed: Safeguarding (moved)"),
        ("ana@example.org", "In one hour: Safeguarding (moved)"),
        ("ana@example.org", "Your place is confirmed: Safeguarding for befrienders"),
        ("bo@example.org", "Cancelled by the organisers: Safeguarding (moved)"),
        ("bo@example.org", "You are on the waiting list: Safeguarding for befrienders"),
    ]
    by_subject = {(m["To"], m["Subject"].split(":")[0]): m for m in mails}
    update = attachment(by_subject[("ana@example.org", "Changed")])
    assert int(next(iter(update.walk("VEVENT")))["sequence"]) == 1
    cancel = attachment(by_subject[("ana@example.org", "Cancelled by the organisers")])
    assert (cancel["method"], int(next(iter(cancel.walk("VEVENT")))["sequence"])) == ("CANCEL", 2)
    assert not [
        p
        for p in by_subject[("bo@example.org", "Cancelled by the organisers")].walk()
        if p.get_content_type() == "text/calendar"
    ]
    hour = by_subject[("ana@example.org", "In one hour")].get_body(("plain",)).get_content()
    assert "When: Sunday, 6 December 2026, 10:30\u201312:30 (London time)\n" in hour
    assert "https://meet.example/s" in hour


def test_a_match_introduces_first_names_and_keeps_the_coordinator_in_the_loop(
    make_service: Callable[..., Service], sink: tuple[int, Path]
) -> None:
    """Proposed: the group's coordinators (its contact) only. Approved: each of the pair
    meets the other's first name (a referred newcomer's support worker is written to).
    Check-in: all three. Every email is signed by the pair's group, whose group.created
    came through the worker like any other fact."""
    import uuid as _uuid

    from sanctuary.contracts import (
        MatchApproved,
        MatchCheckinDue,
        MatchProposed,
    )

    service = make_service(
        bootstrap, "notifications", NotificationsConfig, smtp_host="127.0.0.1", smtp_port=sink[0]
    )
    leeds = group_created(
        group_id=_uuid.uuid4(),
        slug="leeds",
        name="Leeds City of Sanctuary",
        contact="leeds@sanctuary.example",
        network=False,
    )
    volunteer = registered(name="Amina Khalid", email="amina@example.org", group_id=leeds.group_id)
    newcomer = requested(name="Yonas Tesfaye", postcode="LS6 2BB", group_id=leeds.group_id)
    ids = {
        "match_id": _uuid.uuid4(),
        "volunteer_id": volunteer.volunteer_id,
        "newcomer_id": newcomer.newcomer_id,
    }
    url = service.config.amqp_url
    with running_worker(service):
        publish_message(url, MatchApproved(**ids))  # before the people: deferred, not lost
        publish_message(url, leeds)
        publish_message(url, volunteer)
        publish_message(url, newcomer)
        publish_message(url, MatchProposed(**ids, score=30))
        publish_message(url, MatchCheckinDue(**ids, checkin="two_weeks"))
        # welcome + request received + proposed (1) + introductions (2) + check-ins (3)
        wait_until(lambda: count(service, Delivery) == 8, timeout=20)
    mailer(service).send_due()
    mails = {(m["To"], m["Subject"]): m for m in received(sink[1])}
    assert ("leeds@sanctuary.example", "A proposed match waits for your approval") in mails
    for message in mails.values():
        assert message["From"].addresses[0].display_name == "Leeds City of Sanctuary"
        assert message["Reply-To"] == "leeds@sanctuary.example"
    to_amina = mails[("amina@example.org", "Meet Yonas")].get_body(("plain",)).get_content()
    assert "introduce you to Yonas" in to_amina
    assert "Tesfaye" not in to_amina
    assert "leeds@sanctuary.example" in to_amina
    to_worker = mails[("worker@charity.example", "A befriender for Yonas")]
    assert "found a befriender for Yonas: Amina." in to_worker.get_body(("plain",)).get_content()
    checkins = [to for to, subject in mails if subject == "How is it going?"]
    assert sorted(checkins) == [
        "amina@example.org",
        "leeds@sanctuary.example",
        "worker@charity.example",
    ]


def test_an_invitation_emails_a_link_that_only_link_secret_could_make(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    """coordinator.invited: one email, in English, signed by the group they join, whose link
    carries the invitation's HMAC token (made when sending: the row never holds it)."""
    import uuid as _uuid

    from sanctuary.contracts import CoordinatorInvited
    from sanctuary.links import invitation_token
    from sanctuary_dev.messages import apply as apply_facts

    leeds = group_created(group_id=_uuid.uuid4(), slug="leeds", name="Leeds", network=False)
    invited = CoordinatorInvited(
        invitation_id=_uuid.uuid4(),
        name="Ali",
        email="ali@example.org",
        expires_at=datetime.now(UTC) + timedelta(hours=72),
        group_id=leeds.group_id,
    )
    apply_facts(notifications, leeds, invited, invited)  # a repeat plans nothing more
    with notifications.sessions() as session:
        [delivery] = session.scalars(select(Delivery)).all()
        assert "invitations/" not in json.dumps(delivery.rendered)
    mailer(notifications).send_due()
    [mail] = received(sink[1])
    text = mail.get_body(("plain",)).get_content()
    token = invitation_token(notifications.config.link_secret, invited.invitation_id)
    assert f"/coordinator/invitations/{invited.invitation_id}/{token}" in text
    assert mail["From"].addresses[0].display_name == "Leeds"
    assert "coordinate befriending with Leeds" in text


def test_a_late_older_move_never_undoes_a_newer_one(notifications: Service) -> None:
    """person.moved applies only from the group the person is in here: a move that comes
    before the one it follows is retried (MoveOutOfOrder), and a repeat changes nothing."""
    import uuid as _uuid

    from notifications.adapters.models import Person
    from notifications.service_layer.handlers.groups import MoveOutOfOrder
    from sanctuary.contracts import PersonMoved
    from sanctuary_dev.messages import apply as apply_facts

    a, b, c = _uuid.uuid4(), _uuid.uuid4(), _uuid.uuid4()
    person = registered(email="mover@example.org", group_id=a)
    apply_facts(notifications, group_created(group_id=a, slug="a", network=False), person)
    second = PersonMoved(person_id=person.volunteer_id, kind="volunteer", group_id=c,
                         previous_group_id=b)  # fmt: skip
    first = PersonMoved(person_id=person.volunteer_id, kind="volunteer", group_id=b,
                        previous_group_id=a)  # fmt: skip
    with pytest.raises(MoveOutOfOrder):
        apply_facts(notifications, second)
    apply_facts(notifications, first, second, second)
    with notifications.sessions() as session:
        kept = session.get(Person, person.volunteer_id)
        assert kept is not None
        assert kept.group_id == c
