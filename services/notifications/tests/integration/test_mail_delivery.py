"""How the mailer sends: failure classes, exactly one email per delivery even across a
SIGKILL, one-click unsubscribe (RFC 8058), and the coordinators' delivery view.

Real: PostgreSQL (a private database), RabbitMQ (a private vhost), an SMTP server over TCP
(aiosmtpd, told how to answer), the mailer as production runs it (`python -m notifications
mailer`), and the gateway's and notifications' web apps over HTTP.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import email_samples as samples
import pytest
import requests
from aiosmtpd.controller import Controller
from notifications import domain
from notifications.adapters import deliveries as deliveries_module
from notifications.adapters import smtp as smtp_module
from notifications.adapters.models import Delivery, Inbox, Person, Unsubscribe
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from notifications.domain import links as email_links
from notifications.domain import outage as outage_module
from notifications.entrypoints.mailer import Mailer
from notifications.service_layer.handlers.planning import plan
from sanctuary import links
from sanctuary.contracts import VolunteerReadinessChanged
from sanctuary.db import make_engine
from sanctuary.runtime import Service
from sanctuary_dev import mailsink
from sanctuary_dev.messages import (
    apply,
    group_created,
    publish_message,
    publish_messages,
    registered,
)
from sanctuary_dev.processes import running_worker, serving, stop_processes, wait_until
from sanctuary_dev.proxy import TcpProxy
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

pytestmark = pytest.mark.integration
DELAYS_MS = (100, 200, 400)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[mailsink.Answering]:
    """A real SMTP server that answers as the test tells it, and saves what it accepts."""
    handler = mailsink.Answering(tmp_path / "mail")
    controller = mailsink.start(tmp_path / "mail", handler=handler)
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def notifications(make_service: Callable[..., Service], sink: mailsink.Answering) -> Service:
    service = make_service(
        bootstrap,
        "notifications",
        NotificationsConfig,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,  # type: ignore[attr-defined]
        retry_delays_ms=DELAYS_MS,
    )
    apply(service, group_created())  # the network's own group, as `migrate` seeds it
    return service


def mailer(service: Service, **overrides: Any) -> Mailer:
    config = service.config
    assert isinstance(config, NotificationsConfig)
    return Mailer(service.engine, replace(config, **overrides))


def planned(service: Service, *emails: domain.PlannedEmail) -> None:
    """Deliveries planned the way the handlers plan them."""
    with service.unit_of_work() as uow:
        for planned_email in emails:
            plan(uow, planned_email)


def welcome(n: int) -> domain.PlannedEmail:
    return domain.welcome(registered(email=f"v{n}@example.org"))


def deliveries(service: Service) -> list[Delivery]:
    with service.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.created_at)))


def received(sink: mailsink.Answering) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(sink.folder.glob("*.eml"))
    ]


def send_until_settled(service: Service, timeout: float = 10.0) -> None:
    """Run the mailer's batches until nothing waits any more (retries come due meanwhile)."""
    m = mailer(service)

    def settled() -> bool:
        m.send_due()
        return all(d.status in ("sent", "failed", "suppressed") for d in deliveries(service))

    wait_until(settled, timeout=timeout)


def test_4xx_twice_then_success_sends_exactly_one_email(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """451, then 421 (the server hangs up), then 250: one email, three tries, retried after
    the configured delays, the last reply kept while it retries."""
    sink.answers = ["451 4.3.0 Try again later", "421 4.3.2 Shutting down"]
    planned(notifications, welcome(1))
    before = datetime.now(UTC)
    mailer(notifications).send_due()
    [first] = deliveries(notifications)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "451 4.3.0 Try again later"
    assert domain.shown_status(first.status, first.attempts) == "retrying"
    waited = first.next_attempt_at - before
    assert timedelta(milliseconds=100) <= waited < timedelta(milliseconds=100 + 2000)
    assert mailer(notifications).send_due() == 0  # not due yet
    send_until_settled(notifications)
    [done] = deliveries(notifications)
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, None)
    assert sink.accepted == 1
    assert len(received(sink)) == 1


def test_a_421_mid_batch_costs_one_try_and_the_rest_are_sent(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """The server hangs up after the first email of five: the others were not tried, so
    they keep their tries and go out in the next session; each email once."""
    sink.answers = ["421 4.3.2 Shutting down"]
    planned(notifications, *(welcome(n) for n in range(5)))
    send_until_settled(notifications)
    rows = deliveries(notifications)
    assert {d.status for d in rows} == {"sent"}
    assert sorted(d.attempts for d in rows) == [1, 1, 1, 1, 2]
    assert Counter(m["Message-ID"] for m in received(sink)).most_common(1)[0][1] == 1
    assert len(received(sink)) == 5


def test_a_550_sends_none_and_records_the_failure(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """A 5xx is permanent: failed with the server's reply, never tried again."""
    sink.answers = ["550 5.7.1 Message rejected as spam"]
    planned(notifications, welcome(1))
    assert mailer(notifications).send_due() == 1
    [delivery] = deliveries(notifications)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "550 5.7.1 Message rejected as spam"
    time.sleep(max(DELAYS_MS) / 1000)
    assert mailer(notifications).send_due() == 0
    assert received(sink) == []


def test_tries_run_out_after_mail_max_attempts(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """A server that only ever says 451: failed after MAIL_MAX_ATTEMPTS tries, no more."""
    sink.answers = ["451 4.3.0 Try again later"] * 10
    planned(notifications, welcome(1))
    m = mailer(notifications, mail_max_attempts=3)
    wait_until(lambda: m.send_due() == 0 and deliveries(notifications)[0].status == "failed")
    [delivery] = deliveries(notifications)
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(sink.answers) == 7
    assert received(sink) == []


def test_a_message_redelivered_to_a_restarted_worker_plans_one_email(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """The same message before and after a worker restart: one delivery, one email."""
    message = registered(email="amina@example.org")
    message_id = str(uuid.uuid4())
    publish_message(notifications.config.amqp_url, message, message_id=message_id)
    with running_worker(notifications):
        wait_until(lambda: len(deliveries(notifications)) == 1)
    mailer(notifications).send_due()
    publish_message(notifications.config.amqp_url, message, message_id=message_id)
    publish_message(notifications.config.amqp_url, message)  # the same news, a new id
    with running_worker(notifications), notifications.sessions() as session:
        wait_until(lambda: session.scalar(select(func.count()).select_from(Inbox)) == 2)
    assert mailer(notifications).send_due() == 0
    assert len(deliveries(notifications)) == 1
    assert len(received(sink)) == 1


def batched_worker_until(service: Service, inbox_rows: int) -> None:
    """A worker in batches of 20 (each waiting up to 0.5 s to fill) until the inbox holds
    `inbox_rows` messages."""
    with running_worker(service, batch_size=20, wait_seconds=0.5), service.sessions() as session:
        wait_until(lambda: session.scalar(select(func.count()).select_from(Inbox)) == inbox_rows)


def test_a_batch_holding_news_already_planned_still_plans_one_email_each(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """In a worker's batch the handlers skip their lookups (the unique keys stand in). A batch
    holding Amina's registration twice more, under new message ids, beside Yonas's: the
    unique keys fail that batch, it is applied one message at a time, and each person has one
    welcome, one copy of their details, and one email."""
    amina, yonas = registered(email="amina@example.org"), registered(email="yonas@example.org")
    url = notifications.config.amqp_url
    publish_message(url, amina)
    with running_worker(notifications, batch_size=20, wait_seconds=0.5):
        wait_until(lambda: len(deliveries(notifications)) == 1)
    publish_messages(url, [amina, yonas, amina])
    batched_worker_until(notifications, inbox_rows=4)
    assert sorted(d.to_address for d in deliveries(notifications)) == [
        "amina@example.org",
        "yonas@example.org",
    ]
    with notifications.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 2
    send_until_settled(notifications)
    assert sorted(str(m["To"]) for m in received(sink)) == [
        "amina@example.org",
        "yonas@example.org",
    ]


def test_news_about_a_person_whose_registration_is_in_the_same_batch_is_planned_once(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """A batch holds its new rows until its commit, so a handler cannot read a person that an
    earlier message of the same batch adds. Amina's registration and her readiness news in one
    batch: the readiness handler does not find her yet, the batch is applied one message at a
    time, and she gets her welcome and her readiness email, once each."""
    amina = registered(email="amina@example.org")
    ready = VolunteerReadinessChanged(volunteer_id=amina.volunteer_id, status="ready", missing=())
    publish_messages(notifications.config.amqp_url, [amina, ready])
    batched_worker_until(notifications, inbox_rows=2)
    assert sorted(d.template for d in deliveries(notifications)) == [
        "volunteer_readiness",
        "volunteer_welcome",
    ]
    send_until_settled(notifications)
    assert [str(m["To"]) for m in received(sink)] == ["amina@example.org"] * 2


def test_a_mailer_killed_inside_the_window_loses_nothing_and_doubles_one_at_most(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """SIGKILL while the server holds its 250 for an email it has saved: after the claim
    runs out the next mailer sends the rest; every email arrives, and the only one twice is
    the email in that window, with the same Message-ID both times."""
    planned(notifications, *(welcome(n) for n in range(30)))
    sink.hold = 2.0  # the window, held open long enough to kill the mailer inside it
    config = notifications.config
    env = {
        **os.environ,
        "NOTIFICATIONS_DATABASE_URL": config.database_url,
        "AMQP_URL": config.amqp_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.port),  # type: ignore[attr-defined]
        "MAIL_POLL_SECONDS": "0.05",
        "MAIL_CLAIM_SECONDS": "3",
    }
    command = [sys.executable, "-m", "notifications", "mailer"]
    first = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: sink.accepted == 3, timeout=30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
    sink.hold = 0.0
    sent_before = {d.id for d in deliveries(notifications) if d.status == "sent"}
    assert len(sent_before) == 2  # the third was saved, its 250 not yet given
    second = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: all(d.status == "sent" for d in deliveries(notifications)), timeout=60)
    finally:
        assert stop_processes([second]) == [0]
        second.communicate(timeout=10)
    copies = Counter(m["Message-ID"] for m in received(sink))
    assert len(copies) == 30  # none lost
    assert sorted(copies.values()) == [1] * 29 + [2]  # the documented duplicate, no more
    [twice] = [mid for mid, n in copies.items() if n == 2]
    assert all(f"<{d}@" not in twice for d in sent_before)


def optional_and_always(address: str) -> list[domain.PlannedEmail]:
    """A reminder and a check-in (optional) and a confirmation (always sent), to `address`."""
    chosen = {"event_reminder (day)", "match_checkin", "registration_confirmed"}
    return [
        replace(s.email, to_address=address, dedupe_key=f"{s.email.dedupe_key}:{address}")
        for s in samples.samples()
        if s.name in chosen
    ]


def test_optional_emails_carry_one_click_unsubscribe_headers_and_the_footer_link(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """RFC 8058 on reminders and check-ins; none on a confirmation."""
    planned(notifications, *optional_and_always("amina@example.org"))
    send_until_settled(notifications)
    messages = received(sink)
    assert len(messages) == 3
    optional = [m for m in messages if m["List-Unsubscribe"]]
    assert {str(m["Subject"]) for m in optional} != {str(m["Subject"]) for m in messages}
    assert len(optional) == 2
    base = notifications.config.public_base_url  # type: ignore[attr-defined]
    for message in optional:
        link = unsubscribe_link(message)
        assert link.startswith(f"{base}/unsubscribe/")
        assert "amina" not in link  # the link carries no address
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        parts = [p.get_content() for p in message.walk() if p.get_content_type() == "text/html"]
        assert f'href="{link}"' in parts[0]  # the footer link of the layout


def test_the_worker_renders_once_and_stores_no_secret_link(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """The planned row holds the words with a mark where each secret link goes; the email
    that arrives has the real links (a cancel token the events service accepts); once sent,
    the words are no longer kept."""
    planned(notifications, *optional_and_always("amina@example.org"))
    rows = deliveries(notifications)
    for row in rows:
        assert row.rendered is not None
        stored = " ".join(row.rendered.values())
        assert "token=" not in stored
        assert "/unsubscribe/" not in stored
        for mark in email_links.link_marks(row.id, row.template, row.context).values():
            assert mark in row.rendered["text"]
            assert mark in row.rendered["html"]
    send_until_settled(notifications)
    assert {(d.status, d.rendered) for d in deliveries(notifications)} == {("sent", None)}
    [confirmation] = [m for m in received(sink) if not m["List-Unsubscribe"]]
    text = confirmation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "link.invalid" not in text
    registration = samples.REGISTRATION
    secret = notifications.config.link_secret
    token = links.cancel_token(secret, registration)
    assert f"/registrations/{registration}/cancel?token={token}" in text
    assert links.is_cancel_token(secret, registration, token)


def test_a_delivery_planned_before_the_worker_rendered_is_rendered_when_sent(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """Rows from before migration 0007 have no words stored: the mailer renders them."""
    planned(notifications, *optional_and_always("amina@example.org"))
    with notifications.sessions.begin() as session:
        session.execute(update(Delivery).values(rendered=None))
    send_until_settled(notifications)
    messages = received(sink)
    assert len(messages) == 3
    for message in messages:
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Olena" in text or "Amina" in text or "Yonas" in text
        assert "link.invalid" not in text


def test_an_address_the_mailer_cannot_put_on_the_wire_fails_visibly(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """No SMTPUTF8 here: a non-ASCII address is `failed` with the reason, and the other
    emails of the batch go."""
    planned(notifications, welcome(1), replace(welcome(2), to_address="амина@example.org"))
    send_until_settled(notifications)
    rows = {d.to_address: d for d in deliveries(notifications)}
    assert rows["v1@example.org"].status == "sent"
    failed = rows["амина@example.org"]
    assert failed.status == "failed"
    assert failed.last_error is not None
    assert failed.last_error.startswith("cannot render: ValueError: the To header")
    assert len(received(sink)) == 1


def test_one_smtp_session_carries_many_batches_while_there_is_work(
    notifications: Service, sink: mailsink.Answering, monkeypatch: pytest.MonkeyPatch
) -> None:
    """45 emails, three batches, one SMTP connection (connection reuse); then idle, the
    session is closed."""
    monkeypatch.setattr(deliveries_module, "BATCH", 20)
    planned(notifications, *(welcome(n) for n in range(45)))
    m = mailer(notifications)
    stopping = threading.Event()
    runner = threading.Thread(target=m.run, args=(stopping,))
    runner.start()
    try:
        wait_until(lambda: sink.accepted == 45)
        wait_until(lambda: m.smtp.session is None)  # nothing due any more: closed
    finally:
        stopping.set()
        runner.join(timeout=10)
    assert len(sink.peers) == 1
    assert {d.status for d in deliveries(notifications)} == {"sent"}


def test_an_email_planned_while_a_batch_goes_out_goes_next_not_a_poll_later(
    notifications: Service, tmp_path: Path
) -> None:
    """The worker plans an email while the mailer sends a batch: the mailer looks again as
    soon as the batch is done, and sleeps its poll only when nothing was due."""

    class PlansOneMore(mailsink.Answering):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if self.accepted == 0:
                planned(notifications, welcome(2))  # as the worker would, meanwhile
            return await super().handle_DATA(server, session, envelope)

    handler = PlansOneMore(tmp_path / "more")
    controller = mailsink.start(tmp_path / "more", handler=handler)
    m = mailer(notifications, smtp_port=controller.port, mail_poll_seconds=60.0)
    planned(notifications, welcome(1))
    stopping = threading.Event()
    runner = threading.Thread(target=m.run, args=(stopping,))
    runner.start()
    try:
        wait_until(lambda: handler.accepted == 2, timeout=5)
    finally:
        stopping.set()
        runner.join(timeout=10)
        controller.stop()
    assert {d.status for d in deliveries(notifications)} == {"sent"}


class AlwaysBusy(mailsink.Answering):
    """Answers every RCPT with a 421, as a server under load does; counts the sessions."""

    sessions = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        return "421 4.7.0 Too busy, closing"


def test_a_server_that_ends_every_session_is_probed_ever_less_often_not_stormed(
    notifications: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each session ends at the first email with a 421: the server is taken as down, and
    probed after 1 then 2 s (here a quarter of that), one email each, instead of a session
    for every email of the backlog; only the emails that went to it paid a try (ADR 0033)."""
    monkeypatch.setattr(outage_module, "FIRST_PROBE_SECONDS", 0.25)
    handler = AlwaysBusy(tmp_path / "busy")
    busy = Controller(handler, hostname="127.0.0.1", port=mailsink.free_port())
    busy.start()
    planned(notifications, *(welcome(n) for n in range(8)))
    m = mailer(notifications, smtp_port=busy.port, mail_poll_seconds=0.05)
    stopping = threading.Event()
    runner = threading.Thread(target=m.run, args=(stopping,))
    runner.start()
    try:
        time.sleep(1.0)
    finally:
        stopping.set()
        runner.join(timeout=10)
        busy.stop()
    assert handler.sessions == 3  # at 0, 0.25 and 0.75 s; the next would be at 1.75 s
    assert sum(d.attempts for d in deliveries(notifications)) == 3
    assert handler.accepted == 0


def test_a_kept_session_the_server_ended_is_replaced_without_losing_a_try(
    notifications: Service, tmp_path: Path
) -> None:
    """A server that ends idle sessions after 0.3 s: the session the mailer kept from its last
    batch is found closed (NOOP) and replaced, and the next batch goes out on the first try."""
    handler = mailsink.Answering(tmp_path / "idle")
    idle = Controller(handler, hostname="127.0.0.1", port=mailsink.free_port(), timeout=0.3)
    idle.start()
    try:
        m = mailer(notifications, smtp_port=idle.port)
        planned(notifications, welcome(1))
        assert m._send_batch(None) == 1
        kept = m.smtp.session
        assert kept is not None
        time.sleep(1.0)  # the server hangs up on the idle session
        planned(notifications, welcome(2))
        assert m._send_batch(None) == 1
        assert m.smtp.session is not kept
        m.close()
    finally:
        idle.stop()
    rows = deliveries(notifications)
    assert [(d.status, d.attempts) for d in rows] == [("sent", 1), ("sent", 1)]
    assert handler.accepted == 2
    assert len(handler.peers) == 2


def test_a_marks_connection_that_died_between_batches_sends_no_email_twice(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """The connection kept for the `sent` marks dies between two batches (a database restart,
    an idle timeout): the next mark is made again on a new connection, and the email it marks
    is neither left `sending` nor sent twice."""
    m = mailer(notifications, mail_claim_seconds=1.0)
    planned(notifications, welcome(1))
    assert m._send_batch(None) == 1
    assert m.marks.connection is not None
    pid = m.marks.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with notifications.engine.connect() as admin:
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")  # type: ignore[arg-type]
    planned(notifications, welcome(2))
    assert m._send_batch(None) == 1
    m.close()
    time.sleep(1.2)  # past any claim
    assert mailer(notifications).send_due() == 0
    assert {(d.to_address, d.status) for d in deliveries(notifications)} == {
        ("v1@example.org", "sent"),
        ("v2@example.org", "sent"),
    }
    assert sorted(str(message["To"]) for message in received(sink)) == [
        "v1@example.org",
        "v2@example.org",
    ]


class CuttingTheDatabase(mailsink.Answering):
    """Accepts the message, but cuts the mailer's database away before its 250 goes back."""

    proxy: TcpProxy

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        self.proxy.cut()
        return reply


def test_a_mark_the_database_could_not_take_is_paid_before_anything_is_sent_again(
    notifications: Service, tmp_path: Path
) -> None:
    """The database goes away between an email's 250 and its `sent` mark (ADR 0035): the mark
    is owed, not lost. When the database is back, after the email's claim has run out, the
    mailer pays it before claiming anything, and the email is not sent a second time."""
    real = make_url(notifications.config.database_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    handler = CuttingTheDatabase(tmp_path / "cut")
    handler.proxy = proxy
    controller = mailsink.start(tmp_path / "cut", handler=handler)
    config = replace(notifications.config, smtp_port=controller.port, mail_claim_seconds=1.0)
    engine = make_engine(proxied)
    try:
        m = Mailer(engine, config)  # type: ignore[arg-type]
        planned(notifications, welcome(1))
        with pytest.raises(OperationalError):
            m._send_batch(None)
        assert len(m.marks.owed) == 1
        with pytest.raises(OperationalError):
            m.send_due()  # still away: still owed
        assert len(m.marks.owed) == 1
        time.sleep(1.2)  # the claim has run out: the email looks due again
        proxy.restore()
        m.send_due()
        m.close()
        assert m.marks.owed == []
        assert [(d.status, d.attempts) for d in deliveries(notifications)] == [("sent", 1)]
        assert handler.accepted == 1
    finally:
        controller.stop()
        engine.dispose()
        proxy.cut()


class RefusingFirstRecipient(mailsink.Answering):
    """Answers the first RCPT with a 421 and hangs up, as a busy server does."""

    refused = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if not self.refused:
            self.refused = True
            return "421 4.7.0 Too many connections, closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_421_at_rcpt_costs_that_email_one_try_and_no_other(
    notifications: Service, tmp_path: Path
) -> None:
    """After a 421 the server has hung up: the rest of the batch waits for a new session
    without losing a try."""
    handler = RefusingFirstRecipient(tmp_path / "busy")
    busy = Controller(handler, hostname="127.0.0.1", port=mailsink.free_port())
    busy.start()
    try:
        planned(notifications, *(welcome(n) for n in range(3)))
        mailer(notifications, smtp_port=busy.port).send_due()
        rows = deliveries(notifications)
    finally:
        busy.stop()
    assert sorted((d.status, d.attempts) for d in rows) == [
        ("pending", 0),
        ("pending", 0),
        ("pending", 1),
    ]
    assert handler.accepted == 0


def test_a_kept_session_is_renewed_after_so_many_emails(
    notifications: Service, sink: mailsink.Answering, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers end long sessions with a 421 an email would pay for: the mailer starts a new
    one first."""
    monkeypatch.setattr(smtp_module, "SESSION_EMAILS", 2)
    monkeypatch.setattr(deliveries_module, "BATCH", 2)
    planned(notifications, *(welcome(n) for n in range(6)))
    m = mailer(notifications)
    while m._send_batch(None):
        pass
    m.close()
    assert sink.accepted == 6
    assert len(sink.peers) == 3
    assert {(d.status, d.attempts) for d in deliveries(notifications)} == {("sent", 1)}


def unsubscribe_link(message: email.message.EmailMessage) -> str:
    return str(message["List-Unsubscribe"]).strip("<>")


@pytest.fixture
def gateway(
    notifications: Service, gateway_client: Callable[..., Any]
) -> Iterator[tuple[Any, str]]:
    """The gateway's app, and the notifications internal API it calls, served over TCP."""
    from notifications.entrypoints.web import create_app

    config = replace(notifications.config, internal_token="s3cret")
    with serving(create_app(config)) as url:
        yield gateway_client(notifications_url=url), url


def test_one_click_unsubscribe_stops_that_category_and_nothing_else(
    notifications: Service, sink: mailsink.Answering, gateway: tuple[Any, str]
) -> None:
    """The mail client's POST (no login, no CSRF token) through the gateway: from then on
    reminders to that address are `suppressed`; check-ins and confirmations still go, and
    other people still get reminders. The list keeps a hash, not the address."""
    client, _ = gateway
    planned(notifications, *optional_and_always("amina@example.org"))
    send_until_settled(notifications)
    reminder = next(
        m for m in received(sink) if "/unsubscribe/reminders." in str(m["List-Unsubscribe"])
    )
    path = unsubscribe_link(reminder).removeprefix(notifications.config.public_base_url)  # type: ignore[attr-defined]
    page = client.get(path)
    assert page.status_code == 200
    assert b'method="post"' in page.data
    with notifications.sessions() as session:
        assert (
            session.scalar(select(func.count()).select_from(Unsubscribe)) == 0
        )  # a GET changes nothing
    for _ in range(2):  # the same click twice answers the same
        answer = client.post(path, data="List-Unsubscribe=One-Click")
        assert answer.status_code == 200
    with notifications.sessions() as session:
        [row] = session.scalars(select(Unsubscribe))
        assert (row.category, "amina" in row.address_hash) == ("reminders", False)
    again = [
        replace(p, dedupe_key=p.dedupe_key + ":again")
        for p in optional_and_always("Amina@Example.org") + optional_and_always("bo@example.org")
    ]
    planned(notifications, *again)
    send_until_settled(notifications)
    statuses = {(d.to_address.lower(), d.template, d.status) for d in deliveries(notifications)}
    assert ("amina@example.org", "event_reminder", "suppressed") in statuses
    assert all(d.rendered is None for d in deliveries(notifications))  # no words kept
    assert ("amina@example.org", "match_checkin", "sent") in statuses
    assert ("bo@example.org", "event_reminder", "sent") in statuses
    assert len(received(sink)) == 3 + 2 + 3
    assert client.post(path[:-3] + "xyz").status_code == 404  # a token we did not sign
    assert client.post("/unsubscribe/not-a-token").status_code == 404


def test_an_address_is_erased_from_the_unsubscribe_list(
    notifications: Service, gateway: tuple[Any, str]
) -> None:
    """Erasure: the address's hash goes, in every category."""
    _, url = gateway
    auth = {"Authorization": "Bearer s3cret"}
    secret = notifications.config.link_secret
    for category in ("reminders", "checkins"):
        token = email_links.unsubscribe_token(secret, "amina@example.org", category)
        assert requests.post(f"{url}/internal/v1/unsubscribes/{token}", headers=auth, timeout=5).ok
    gone = requests.delete(
        f"{url}/internal/v1/unsubscribes",
        params={"address": "amina@example.org"},
        headers=auth,
        timeout=5,
    )
    assert gone.json() == {"erased": 2}
    bad = requests.delete(
        f"{url}/internal/v1/unsubscribes", params={"address": "x"}, headers=auth, timeout=5
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "address"


ADMIN = {"Authorization": "Bearer coordinator-token"}


def test_coordinators_see_deliveries_failures_first_with_the_last_reply(
    notifications: Service, sink: mailsink.Answering, gateway: tuple[Any, str]
) -> None:
    """GET /api/v1/deliveries: failed, retrying (with the SMTP reply) and sent, failures
    first; by recipient and status; a limit; a bad query is a 422 naming the field."""
    client, _ = gateway
    planned(notifications, welcome(1), welcome(2), welcome(3))
    sink.answers = ["451 4.3.0 Try again later", "550 5.1.1 No such mailbox"]
    mailer(notifications).send_due()
    assert client.get("/api/v1/deliveries").status_code == 401
    listed = client.get("/api/v1/deliveries", headers=ADMIN)
    assert listed.status_code == 200
    rows = listed.get_json()
    assert rows[0]["status"] == "failed"
    assert sorted(r["status"] for r in rows) == ["failed", "retrying", "sent"]
    retrying = next(r for r in rows if r["status"] == "retrying")
    assert retrying["last_reply"] == "451 4.3.0 Try again later"
    assert next(r for r in rows if r["status"] == "failed")["last_reply"].startswith("550")
    only = client.get(f"/api/v1/deliveries?recipient={retrying['recipient']}", headers=ADMIN)
    assert [r["id"] for r in only.get_json()] == [retrying["id"]]
    sent = client.get("/api/v1/deliveries?status=sent&limit=1", headers=ADMIN).get_json()
    assert [r["status"] for r in sent] == ["sent"]
    assert len(client.get("/api/v1/deliveries?limit=2", headers=ADMIN).get_json()) == 2
    for query, field in (
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("recipient=x", "recipient"),
    ):
        bad = client.get(f"/api/v1/deliveries?{query}", headers=ADMIN)
        assert bad.status_code == 422, query
        assert bad.content_type == "application/problem+json"
        assert [e["field"] for e in bad.get_json()["errors"]] == [field]


class Refusing(mailsink.Answering):
    """Answers every message with `refusal` while it is set, as a server having an outage."""

    refusal: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusal is not None:
            return self.refusal
        return await super().handle_DATA(server, session, envelope)


def test_a_server_refusing_everything_for_a_while_gets_probes_and_then_the_backlog_at_once(
    notifications: Service, tmp_path: Path
) -> None:
    """451 for every email for 2 s, with retries spaced 1 s, 10 s, 10 min: three emails find
    the server down, then one probe at a time (at most 0.5 s apart here); once a probe gets
    its 250, the whole backlog goes at once, those waiting for their 10-minute retry included
    (ADR 0033)."""
    handler = Refusing(tmp_path / "refusing")
    handler.refusal = "451 4.3.0 Try again later"
    server = Controller(handler, hostname="127.0.0.1", port=mailsink.free_port())
    server.start()
    planned(notifications, *(welcome(n) for n in range(40)))
    m = mailer(
        notifications,
        smtp_port=server.port,
        mail_poll_seconds=0.05,
        mail_probe_max_seconds=0.5,
        retry_delays_ms=(1_000, 10_000, 600_000),
    )
    stopping = threading.Event()
    runner = threading.Thread(target=m.run, args=(stopping,))
    runner.start()
    try:
        time.sleep(2.0)
        during = deliveries(notifications)
        handler.refusal = None
        recovered = time.monotonic()
        wait_until(lambda: handler.accepted == 40, timeout=10)
        took = time.monotonic() - recovered
    finally:
        stopping.set()
        runner.join(timeout=10)
        server.stop()
    tries_during = sum(d.attempts for d in during)
    assert 3 <= tries_during <= 3 + 5  # three to find it down, then one a probe (≤ 0.5 s apart)
    assert took < 2.5  # the next probe (≤ 0.5 s), then the backlog: far inside the 30 s goal
    assert Counter(message["Message-ID"] for message in received(handler)).most_common(1)[0][1] == 1
    assert {d.status for d in deliveries(notifications)} == {"sent"}


def test_a_server_that_cannot_be_reached_costs_no_email_a_try(
    notifications: Service, tmp_path: Path
) -> None:
    """Nothing listens on the SMTP port: the batch goes back untried, the mailer probes, and
    when the server starts every email goes on its first try."""
    port = mailsink.free_port()
    planned(notifications, *(welcome(n) for n in range(5)))
    m = mailer(notifications, smtp_port=port, mail_probe_max_seconds=0.5)
    assert m.send_due() == 5
    assert {(d.status, d.attempts) for d in deliveries(notifications)} == {("pending", 0)}
    assert m.outage.down
    handler = mailsink.Answering(tmp_path / "late")
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        wait_until(lambda: m.send_due() == 0 and handler.accepted == 5, timeout=10)
    finally:
        m.close()
        server.stop()
    assert not m.outage.down
    assert {(d.status, d.attempts) for d in deliveries(notifications)} == {("sent", 1)}


def test_a_mailer_at_work_renews_its_claim_so_no_other_mailer_takes_its_emails(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """A batch that takes 2 s against a claim of 1.2 s: the claim is renewed as it goes,
    so a second mailer polling meanwhile takes nothing, and each email goes once, on the
    first mailer's one session."""
    planned(notifications, *(welcome(n) for n in range(20)))
    sink.hold = 0.1
    first = mailer(notifications, mail_claim_seconds=1.2)
    second = mailer(notifications, mail_claim_seconds=1.2)
    sending = threading.Thread(target=first.send_due)
    sending.start()
    # The second starts polling once the first holds the batch: before, on a busy machine,
    # its first poll could claim the emails ahead of the first mailer's thread.
    wait_until(lambda: sink.accepted >= 1, timeout=10, interval=0.01)
    taken_by_second = 0
    try:
        while sending.is_alive():
            taken_by_second += second.send_due()
            time.sleep(0.1)
    finally:
        sending.join(timeout=30)
    assert taken_by_second == 0
    assert sink.accepted == 20
    assert len(sink.peers) == 1
    assert {(d.status, d.attempts) for d in deliveries(notifications)} == {("sent", 1)}


def test_a_mailer_with_its_server_down_and_nothing_to_probe_waits_its_poll(
    notifications: Service,
) -> None:
    """Down, a probe due, and no email pending: the mailer looks again after its poll (or a
    commit of a new email), it does not spin."""
    m = mailer(notifications, smtp_port=mailsink.free_port(), mail_poll_seconds=0.2)
    m.outage.unreachable(time.monotonic() - 60)  # down for a minute, its probe long due
    looks = []
    claim_probe = m.store.claim_probe
    m.store.claim_probe = lambda: looks.append(1) or claim_probe()  # type: ignore[method-assign]
    stopping = threading.Event()
    runner = threading.Thread(target=m.run, args=(stopping,))
    runner.start()
    time.sleep(1.0)
    stopping.set()
    runner.join(timeout=10)
    assert 3 <= len(looks) <= 8  # about one a poll; it spun at about a hundred a second


def test_each_email_is_counted_once_for_the_impact_report(
    notifications: Service, sink: mailsink.Answering
) -> None:
    """ADR 42: an email counts as sent with its mark, in the same statement, and as failed
    with its failure, by its template and group; a mark made again (its reply lost) finds
    the email sent already and counts nothing more."""
    from notifications.adapters.marks import SentMarks
    from notifications.adapters.models import Tally

    sink.answers = ["550 5.7.1 Message rejected as spam"]
    planned(notifications, welcome(1), welcome(2), welcome(3))
    assert mailer(notifications).send_due() == 3
    marks = SentMarks(notifications.engine)
    [again] = [d for d in deliveries(notifications) if d.status == "sent"][:1]
    claimed = deliveries_module.Claimed(
        again.id, again.template, again.to_address, {}, 0, "c", None, again.group_id
    )
    marks.mark(claimed)  # the same mark again, as after a lost reply
    marks.close()
    with notifications.sessions() as session:
        rows = session.scalars(select(Tally)).all()
    assert {t.group_key for t in rows} == {""}  # no group signed them: the network's list
    counted = {(t.kind, t.measure): t.count for t in rows}
    assert counted == {("volunteer_welcome", "failed"): 1, ("volunteer_welcome", "sent"): 2}
