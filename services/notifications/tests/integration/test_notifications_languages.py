"""Every email of the notifications table, from its real message, in English, Arabic and
Ukrainian, sent to a real SMTP server and read back; and a person's language travelling from
the form through matching and events to their emails.

Real: RabbitMQ (private vhosts), PostgreSQL (private databases), SMTP over TCP (aiosmtpd),
the notifications, matching and events workers and relays. One notifications worker serves
all three languages' scenarios (module fixture); each (email, language) pair is then its own
test case over what the sink received. Calendar invites are parsed with icalendar and, as
a second and stricter reader, ical.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from notifications.adapters import templating
from notifications.adapters.models import Delivery
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from notifications.entrypoints.mailer import Mailer
from sanctuary import contracts as c
from sanctuary import when
from sanctuary.migrations import upgrade
from sanctuary.runtime import Service
from sanctuary_dev import mailsink
from sanctuary_dev.messages import apply, group_created, publish_message, signed_up
from sanctuary_dev.processes import running_relay, running_worker, wait_until
from sanctuary_dev.servers import TEST_RETRY_DELAYS_MS, private_database, private_vhost
from sqlalchemy import func, select

pytestmark = pytest.mark.integration

LOCALES = ("en", "ar", "uk")
COORDINATOR = "leeds@sanctuary.example"
STARTS = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
MOVED = STARTS + timedelta(days=1)
# template -> (emails per language's scenario, calendar METHOD, SEQUENCE, start shown)
EXPECTED: dict[str, tuple[int, str | None, int | None, datetime | None]] = {
    "volunteer_welcome": (1, None, None, None),
    "volunteer_readiness": (2, None, None, None),
    "newcomer_request_received": (1, None, None, None),
    "match_proposed": (1, None, None, None),
    "match_introduction": (2, None, None, None),
    "match_checkin": (3, None, None, None),
    "match_ended": (2, None, None, None),
    "registration_confirmed": (1, "REQUEST", 0, STARTS),
    "registration_waitlisted": (1, None, None, STARTS),
    "registration_promoted": (1, "REQUEST", 0, STARTS),
    "event_updated": (2, "REQUEST", 1, MOVED),
    "registration_cancelled": (1, "CANCEL", 1, MOVED),
    "event_reminder": (1, None, None, MOVED),
    "event_cancelled": (1, "CANCEL", 2, MOVED),
}


@dataclass(frozen=True)
class Sent:
    """One email the sink received, with the delivery it came from."""

    scenario: str  # the language of the people in the scenario that caused it
    template: str
    locale: str  # the language it was written in
    to: str
    message: EmailMessage


@dataclass(frozen=True)
class Scenario:
    """The people, the match and the event of one language's run, with fresh ids."""

    locale: str
    volunteer: uuid.UUID
    newcomer: uuid.UUID
    match: uuid.UUID
    event: c.EventScheduled
    placed: dict[str, Any]
    waiting: dict[str, Any]

    @classmethod
    def new(cls, locale: str) -> Scenario:
        event = c.EventScheduled(
            event_id=uuid.uuid4(),
            title=f"Safeguarding for befrienders ({locale})",
            kind="webinar",
            starts_at=STARTS,
            ends_at=STARTS + timedelta(hours=2),
            timezone="Europe/London",
            sequence=0,
            online_url="https://meet.example/s",
        )

        def registrant(who: str) -> dict[str, Any]:
            return {
                "registration_id": uuid.uuid4(),
                "event_id": event.event_id,
                "name": f"{who} {locale}",
                "email": f"{who}.{locale}@example.org",
            }

        return cls(
            locale, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), event, registrant("ana"),
            registrant("bo"),
        )  # fmt: skip

    def stages(self) -> list[list[Any]]:
        """The facts in the order the flows produce them; each stage waits for the last.
        Only the first fact about each person carries the language: later ones (promoted,
        reminder, cancelled) leave it to what notifications kept."""
        ids = {"match_id": self.match, "volunteer_id": self.volunteer, "newcomer_id": self.newcomer}
        moved = c.EventUpdated(
            **{
                **self.event.__dict__,
                "sequence": 1,
                "starts_at": MOVED,
                "ends_at": MOVED + timedelta(hours=2),
            },
            changed=("starts_at", "ends_at"),
        )
        return [
            [
                c.VolunteerRegistered(
                    volunteer_id=self.volunteer, name="Amina Khalid",
                    email=f"volunteer.{self.locale}@example.org", status="applied",
                    locale=self.locale,
                ),
                c.NewcomerRequested(
                    newcomer_id=self.newcomer, name="Yonas Tesfaye",
                    email=f"newcomer.{self.locale}@example.org", referrer_email=None,
                    postcode="LS6 2BB", languages=("ti",), wants_english_practice=True,
                    needs=(), interests=(), availability=(("sat", "morning"),), gender=None,
                    same_gender_only=False, needs_dbs=False, consented_at=STARTS,
                    locale=self.locale,
                ),
                self.event,
            ],
            [
                c.VolunteerReadinessChanged(
                    volunteer_id=self.volunteer, status="applied",
                    missing=("references", "training"),
                ),
                c.VolunteerReadinessChanged(
                    volunteer_id=self.volunteer, status="ready", missing=()
                ),
                c.MatchProposed(**ids, score=30),
                c.MatchApproved(**ids),
                c.MatchCheckinDue(**ids, checkin="two_weeks"),
                c.MatchEnded(**ids, reason="moved away"),
                c.RegistrationConfirmed(**self.placed, locale=self.locale),
                c.RegistrationWaitlisted(**self.waiting, locale=self.locale, position=1),
            ],
            [c.RegistrationPromoted(**self.waiting)],
            [moved],
            [
                c.EventReminderDue(**self.placed, reminder="day", starts_at=MOVED),
                c.RegistrationCancelled(**self.waiting),
            ],
            [
                c.EventCancelled(
                    event_id=self.event.event_id, title=moved.title, starts_at=MOVED, sequence=2
                )
            ],
        ]  # fmt: skip


def deliveries(service: Service) -> int:
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Delivery)) or 0)


def read_back(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


@pytest.fixture(scope="module")
def sent(
    broker_base_url: str, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Sent]]:
    """Every scenario's facts through one notifications worker, then one mailer run to the
    sink: what was received, each matched to its delivery by the Message-ID."""
    folder = tmp_path_factory.mktemp("mail")
    sink = mailsink.start(folder)
    with (
        private_vhost(broker_base_url) as amqp_url,
        private_database(postgres_admin_url, "notifications") as database_url,
    ):
        config = NotificationsConfig(
            service="notifications",
            database_url=database_url,
            amqp_url=amqp_url,
            retry_delays_ms=TEST_RETRY_DELAYS_MS,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
        )
        service = bootstrap(config)
        try:
            upgrade(service.migrations, database_url, service.metadata)
            apply(service, group_created(contact=COORDINATOR))
            scenarios = {locale: Scenario.new(locale) for locale in LOCALES}
            stages = zip(*(s.stages() for s in scenarios.values()), strict=True)
            with running_worker(service):
                for stage in stages:
                    before = deliveries(service)
                    for facts in stage:
                        for fact in facts:
                            publish_message(amqp_url, fact)
                    expected = before + sum(_emails(fact) for facts in stage for fact in facts)
                    wait_until(lambda n=expected: deliveries(service) == n, timeout=20)
            while Mailer(service.engine, config).send_due():
                pass
            with service.sessions() as session:
                by_id = {str(d.id): d for d in session.scalars(select(Delivery))}
            matches = {s.match: s.locale for s in scenarios.values()}
            received = []
            for message in read_back(folder):
                delivery = by_id[str(message["Message-ID"]).strip("<>").partition("@")[0]]
                scenario = delivery.to_address.split("@")[0].rpartition(".")[2]
                if delivery.to_address == COORDINATOR:
                    scenario = matches[uuid.UUID(delivery.context["match_id"])]
                received.append(
                    Sent(scenario, delivery.template, delivery.locale, delivery.to_address, message)
                )
            yield received
        finally:
            service.engine.dispose()
            sink.stop()


def _emails(fact: Any) -> int:
    """How many emails a fact of a scenario causes (see EXPECTED)."""
    return {
        "volunteer.registered": 1,
        "newcomer.requested": 1,
        "event.scheduled": 0,
        "volunteer.readiness_changed": 1,
        "match.proposed": 1,
        "match.approved": 2,
        "match.checkin_due": 3,
        "match.ended": 2,
        "registration.confirmed": 1,
        "registration.waitlisted": 1,
        "registration.promoted": 1,
        "event.updated": 2,
        "event.reminder_due": 1,
        "registration.cancelled": 1,
        "event.cancelled": 1,
    }[fact.TYPE]


def test_every_message_gave_exactly_its_emails(sent: list[Sent]) -> None:
    """Nothing missing, nothing doubled: the table's counts, per language's scenario."""
    assert len(sent) == len(LOCALES) * sum(n for n, *_ in EXPECTED.values())
    assert len({str(s.message["Message-ID"]) for s in sent}) == len(sent)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", list(EXPECTED))
def test_each_email_arrives_in_the_readers_language(
    sent: list[Sent], template: str, locale: str
) -> None:
    """Written in the person's language (coordinators read English), Arabic right to left,
    the time in the event's zone as that language writes it; the invite parses back with
    the event's UID, the right METHOD and SEQUENCE, and its times."""
    count, method, sequence, starts = EXPECTED[template]
    mine = [s for s in sent if s.template == template and s.scenario == locale]
    assert len(mine) == count
    for one in mine:
        reader = "en" if one.to == COORDINATOR else locale
        assert one.locale == reader
        text = one.message.get_body(("plain",))
        html = one.message.get_body(("html",))
        assert text is not None
        assert html is not None
        assert templating.catalogue(reader).gettext("With warm thanks,") in text.get_content()
        direction = "rtl" if reader == "ar" else "ltr"
        assert f'<html lang="{reader}" dir="{direction}">' in html.get_content()
        if starts is not None:
            # Worded as the event's page words it: the hours, and the city's time.
            shown = when.span(starts, starts + timedelta(hours=2), "Europe/London", reader)
            assert shown in text.get_content()
            assert when.city("Europe/London", reader) in text.get_content()
        invites = [p for p in one.message.walk() if p.get_content_type() == "text/calendar"]
        if method is None:
            assert invites == []
            continue
        [part] = invites
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        assert (calendar["method"], part.get_param("method")) == (method, method)
        [event] = calendar.walk("VEVENT")
        assert str(event["uid"]).endswith("@sanctuary-network")
        assert int(event["sequence"]) == sequence
        assert event.decoded("dtstart") == starts
        assert event.decoded("dtend") == starts + timedelta(hours=2)
        # Addressed to its reader (a mail client offers "add to calendar" only then), from
        # the group that signs the email, and read the same by a second, strict parser.
        group = (
            one.message["From"].addresses[0].display_name,
            one.message["Reply-To"].addresses[0],
        )
        assert str(event["attendee"]) == f"mailto:{one.to}"
        assert (event["organizer"].params["cn"], str(event["organizer"])) == (
            group[0],
            f"mailto:{group[1].addr_spec}",
        )
        strict = IcsCalendarStream.calendar_from_ics(part.get_payload(decode=True).decode())
        [same] = strict.events
        assert (strict.method, same.uid, same.sequence) == (method, str(event["uid"]), sequence)
        assert (same.dtstart, same.dtend) == (starts, starts + timedelta(hours=2))
        assert [a.uri for a in same.attendees] == [f"mailto:{one.to}"]
        assert same.organizer is not None
        assert (same.organizer.common_name, same.organizer.uri) == (
            group[0],
            f"mailto:{group[1].addr_spec}",
        )


def test_one_event_keeps_one_uid_across_its_invites(sent: list[Sent]) -> None:
    """Confirmation, update and cancellation of one event: the same UID, SEQUENCE rising."""
    for locale in LOCALES:
        uids, sequences = set(), []
        for one in sent:
            if one.scenario != locale or not one.to.startswith("ana."):
                continue
            for part in one.message.walk():
                if part.get_content_type() == "text/calendar":
                    [event] = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
                    uids.add(str(event["uid"]))
                    sequences.append(int(event["sequence"]))
        assert len(uids) == 1
        assert sorted(sequences) == [0, 1, 2]


@pytest.fixture
def notifications(make_service: Callable[..., Service], tmp_path: Path) -> Iterator[Service]:
    sink = mailsink.start(tmp_path / "mail")
    service = make_service(
        bootstrap, "notifications", NotificationsConfig, smtp_host="127.0.0.1", smtp_port=sink.port
    )
    apply(service, group_created())
    yield service
    sink.stop()


def test_the_language_on_the_form_reaches_the_readiness_and_registration_emails(
    make_service: Callable[..., Service], notifications: Service, tmp_path: Path
) -> None:
    """volunteer.signed_up in Arabic -> matching -> welcome and, as a coordinator records
    checks, 'what is still missing' then 'you are ready' (published with the change, in its
    transaction); registration.requested in Ukrainian -> events -> confirmation; a later
    promotion, whose fact says no language, still in the language kept."""
    from events.bootstrap import bootstrap as events_bootstrap
    from events.service_layer.scheduling import schedule
    from matching.bootstrap import bootstrap as matching_bootstrap
    from matching.service_layer import coordination

    url = notifications.config.amqp_url
    matching = make_service(matching_bootstrap, "matching")
    events = make_service(events_bootstrap, "events")
    volunteer = signed_up(name="Amina", email="amina@example.org", locale="ar")
    with events.unit_of_work() as uow:
        event = schedule(
            uow,
            {
                "title": "Safeguarding",
                "description": "",
                "kind": "webinar",
                "topic": "safeguarding",
                "starts_at": STARTS,
                "ends_at": STARTS + timedelta(hours=2),
                "timezone": "Europe/London",
                "capacity": 1,
                "online_url": "https://meet.example/s",
                "location": None,
                "registration_closes_at": None,
            },
        )
        event_id = event.id
    first, second = uuid.uuid4(), uuid.uuid4()
    with (
        running_worker(matching),
        running_relay(matching),
        running_worker(events),
        running_relay(events),
        running_worker(notifications),
    ):
        publish_message(url, volunteer)
        for registration_id, who, locale in ((first, "olena", "uk"), (second, "sami", "ar")):
            publish_message(
                url,
                c.RegistrationRequested(
                    registration_id=registration_id,
                    event_id=event_id,
                    name=who.title(),
                    email=f"{who}@example.org",
                    requested_at=datetime.now(UTC),
                    locale=locale,
                ),
            )
        wait_until(lambda: deliveries(notifications) == 3, timeout=20)  # welcome, 2 answers
        for checks in (
            {"references": "verified"},
            {"screening": "passed", "training": "completed"},
        ):
            with matching.unit_of_work() as uow:
                coordination.record_checks(uow, volunteer.volunteer_id, checks)
        with events.unit_of_work() as uow:
            from events.service_layer.registrations import cancel
            from sanctuary.links import cancel_token

            secret = events.config.link_secret
            token = cancel_token(secret, first)
            cancel(uow, first, token, secret)
        # + readiness twice, + Olena's cancellation, + Sami's promotion
        wait_until(lambda: deliveries(notifications) == 7, timeout=20)
    assert isinstance(notifications.config, NotificationsConfig)
    while Mailer(notifications.engine, notifications.config).send_due():
        pass
    mails = {(str(m["To"]), str(m["Subject"])): m for m in read_back(tmp_path / "mail")}
    assert set(mails) == {
        ("amina@example.org", "أهلًا بك، وشكرًا لرغبتك في التطوّع لمصادقة شخص جديد"),
        ("amina@example.org", "خطوات التطوّع: ما الذي بقي"),
        ("amina@example.org", "كل شيء جاهز لنعرّفك على شخص جديد"),
        ("olena@example.org", "Ваше місце підтверджено: Safeguarding"),
        ("olena@example.org", "Скасовано: Safeguarding"),
        ("sami@example.org", "أنت في قائمة الانتظار: Safeguarding"),
        ("sami@example.org", "أصبح لك مكان: Safeguarding"),
    }
    missing = mails[("amina@example.org", "خطوات التطوّع: ما الذي بقي")]
    text = missing.get_body(("plain",))
    assert text is not None
    assert "- محادثة قصيرة مع منسّق" in text.get_content()  # screening
    assert "- تدريبنا على الحماية، عبر الإنترنت أو حضوريًا" in text.get_content()
    assert "شخصان يزكّيانك" not in text.get_content()  # references were verified
