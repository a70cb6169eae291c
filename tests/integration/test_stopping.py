"""SIGTERM under load: a process finishes what it holds, exits cleanly, and nothing is lost or
done twice.

Real: RabbitMQ (a private vhost), PostgreSQL (private databases), and the processes as
production runs them (`python -m <service> relay|worker|clock|mailer`, gunicorn for the web).
"""

from __future__ import annotations

import asyncio
import email
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from event_factories import an_event  # the events tests' own factory
from events.adapters.models import Outbox as EventsOutbox
from events.adapters.models import ReminderSent
from events.bootstrap import bootstrap as events_bootstrap
from gateway.adapters.models import Outbox as GatewayOutbox
from gateway.adapters.models import Submission
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from matching.adapters.models import Inbox, Outbox, Volunteer
from matching.bootstrap import bootstrap as matching_bootstrap
from notifications.adapters.models import Delivery
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.config import NotificationsConfig
from sanctuary import topology
from sanctuary.runtime import Service
from sanctuary_dev.mailsink import SaveToFolder, free_port
from sanctuary_dev.messages import (
    apply,
    group_created,
    publish_message,
    queue_consumers,
    queue_messages,
    registered,
    signed_up,
)
from sanctuary_dev.processes import (
    http_status,
    stop_processes,
    wait_until,
    web_process,
    worker_processes,
)
from sqlalchemy import func, select, text

pytestmark = pytest.mark.integration


def rows(service: Service, model: object, *where: object) -> int:
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_relay_stopped_mid_stream_publishes_every_row_exactly_once(
    make_service: Callable[..., Service],
) -> None:
    """SIGTERM while 1,500 rows go out: the batch in hand is finished and marked; the next
    relay sends the rest; the broker holds each message once."""
    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    with gateway.unit_of_work("c") as uow:
        expected = [uow.publish(signed_up()) for _ in range(1500)]
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.config.database_url,
        "AMQP_URL": gateway.config.amqp_url,
        "RELAY_POLL_SECONDS": "0.05",
        "RETRY_DELAYS_MS": ",".join(map(str, gateway.config.retry_delays_ms)),
    }
    first = subprocess.Popen(
        [sys.executable, "-m", "gateway", "relay"], env=env, stderr=subprocess.DEVNULL
    )
    wait_until(lambda: rows(gateway, GatewayOutbox, GatewayOutbox.sent_at.is_not(None)) > 0)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=15) == 0
    assert rows(gateway, GatewayOutbox, GatewayOutbox.sent_at.is_(None)) > 0  # stopped midway
    second = subprocess.Popen(
        [sys.executable, "-m", "gateway", "relay"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(
            lambda: rows(gateway, GatewayOutbox, GatewayOutbox.sent_at.is_(None)) == 0, timeout=60
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0
    ids = Counter(
        m.properties["message_id"]
        for m in queue_messages(gateway.config.amqp_url, topology.queue_name("matching"))
    )
    assert sorted(ids) == sorted(expected)
    assert set(ids.values()) == {1}


def test_a_worker_stopped_under_load_loses_nothing_and_applies_nothing_twice(
    make_service: Callable[..., Service],
) -> None:
    """Two workers share 300 sign-ups; one gets SIGTERM halfway and exits cleanly; every
    volunteer is recorded once and announced once."""
    matching = make_service(matching_bootstrap, "matching")
    for _ in range(300):
        publish_message(matching.config.amqp_url, signed_up())
    stopping, staying = worker_processes(matching, 2)
    # Both consuming (a SIGTERM while starting up would kill, not stop, the process).
    queue = topology.queue_name("matching")
    wait_until(lambda: queue_consumers(matching.config.amqp_url, queue) == 2, timeout=60)
    wait_until(lambda: rows(matching, Volunteer) >= 30)
    stopping.send_signal(signal.SIGTERM)
    assert stopping.wait(timeout=15) == 0
    try:
        wait_until(lambda: rows(matching, Volunteer) == 300, timeout=60)
        time.sleep(0.5)  # anything applied twice would show up now
    finally:
        assert stop_processes([staying]) == [0]
    assert rows(matching, Inbox) == 300
    assert rows(matching, Outbox) == 300


def waiting_on_locks(service: Service) -> int:
    """Statements of this database blocked on a lock right now."""
    with service.engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def sign_up(base: str, n: int) -> requests.Response:
    body = {
        "name": "Stopping Test",
        "email": f"stop{n}@example.org",
        "postcode": "LS6 1AA",
        "languages": ["en"],
        "availability": [{"day": "sat", "part": "morning"}],
        "consent": True,
        "special_consent": True,
    }
    return requests.post(f"{base}/api/v1/volunteers", json=body, timeout=30)


def test_a_web_process_stopped_answers_every_request_in_flight(
    make_service: Callable[..., Service],
) -> None:
    """Four slow sign-ups in flight (their transactions wait on a lock; each worker holds
    two, sanctuary.serving's gevent workers taking every connection at once) when gunicorn
    gets SIGTERM: it stops taking connections (a sign-up sent then is refused and not
    stored; clients retry with their Idempotency-Key), answers the four 202 and stores
    them, and exits 0 within the grace period."""
    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = web_process(gateway, "gateway.entrypoints.web:create_app()", port, PUBLIC_RATE_LIMIT="")
    try:
        wait_until(lambda: http_status(f"{base}/readyz") == 200, timeout=30, interval=0.2)
        with gateway.engine.connect() as locker, ThreadPoolExecutor(5) as pool:
            locker.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))  # held until commit
            in_flight = [pool.submit(sign_up, base, n) for n in range(4)]
            wait_until(lambda: waiting_on_locks(gateway) == 4)
            web.send_signal(signal.SIGTERM)
            time.sleep(1.0)  # the workers are told to stop while their requests wait
            assert web.poll() is None
            late = pool.submit(sign_up, base, 4)
            assert isinstance(late.exception(timeout=30), requests.ConnectionError)
            locker.commit()
            answered = [answer.result(timeout=30).status_code for answer in in_flight]
        assert answered == [202, 202, 202, 202]
        assert web.wait(timeout=30) == 0
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
    assert rows(gateway, Submission) == 4
    assert rows(gateway, GatewayOutbox) == 4


def test_a_clock_stopped_mid_tick_loses_no_reminder_and_sends_none_twice(
    make_service: Callable[..., Service],
) -> None:
    """SIGTERM while the events clock announces 2,400 reminders: it exits 0 quickly; the next
    clock announces the rest at its first tick; every reminder is in the outbox once."""
    events = make_service(events_bootstrap, "events")
    starts_at = datetime.now(UTC) + timedelta(minutes=30)  # both reminders are due
    for _ in range(240):
        an_event(events, starts_at, registrants=5)
    env = {
        **os.environ,
        "EVENTS_DATABASE_URL": events.config.database_url,
        "AMQP_URL": events.config.amqp_url,
    }
    first = subprocess.Popen(
        [sys.executable, "-m", "events", "clock"], env=env, stderr=subprocess.DEVNULL
    )
    wait_until(lambda: rows(events, ReminderSent) > 0, timeout=30)
    first.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert first.wait(timeout=25) == 0
    stopped_in = time.monotonic() - started
    assert 0 < rows(events, ReminderSent) < 2400, "stopped midway"
    second = subprocess.Popen(
        [sys.executable, "-m", "events", "clock"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: rows(events, ReminderSent) == 2400, timeout=60)
        time.sleep(0.5)  # anything announced twice would show up now
    finally:
        assert stop_processes([second]) == [0]
    with events.sessions() as session:
        bodies = session.scalars(
            select(EventsOutbox.body).where(EventsOutbox.type == "event.reminder_due")
        )
        announced = Counter(
            (json.loads(body)["registration_id"], json.loads(body)["reminder"]) for body in bodies
        )
    assert len(announced) == 2400
    assert set(announced.values()) == {1}
    assert stopped_in < 10


class SlowSink(SaveToFolder):
    """A real SMTP server taking a while over each message, like a busy relay."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.2)
        return await super().handle_DATA(server, session, envelope)


def plan_welcomes(notifications: Service, how_many: int) -> None:
    """Welcome emails planned the way the worker plans them: volunteer.registered handled
    (signed by the network's own group, known as `migrate` announces it)."""
    apply(notifications, group_created())
    handle = notifications.handlers["volunteer.registered"]
    with notifications.unit_of_work("c") as uow:
        for n in range(how_many):
            handle(registered(email=f"v{n}@example.org"), uow)


def test_a_mailer_stopped_finishes_the_email_in_hand_and_none_is_lost_or_doubled(
    make_service: Callable[..., Service], tmp_path: Path
) -> None:
    """SIGTERM while the mailer works through 60 emails on a slow SMTP server: it finishes
    the email in hand and exits 0 well before its batch would end; the next mailer sends the
    rest; each email reaches the server exactly once."""
    controller = Controller(SlowSink(tmp_path / "mail"), hostname="127.0.0.1", port=free_port())
    controller.start()
    notifications = make_service(
        notifications_bootstrap,
        "notifications",
        NotificationsConfig,
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
    )
    plan_welcomes(notifications, 60)
    env = {
        **os.environ,
        "NOTIFICATIONS_DATABASE_URL": notifications.config.database_url,
        "AMQP_URL": notifications.config.amqp_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(controller.port),
        "MAIL_POLL_SECONDS": "0.05",
    }
    mails = tmp_path / "mail"
    try:
        first = subprocess.Popen(
            [sys.executable, "-m", "notifications", "mailer"], env=env, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: list(mails.glob("*.eml")), timeout=30)
        first.send_signal(signal.SIGTERM)
        before_the_signal = len(list(mails.glob("*.eml")))
        assert first.wait(timeout=25) == 0
        sent_by_first = rows(notifications, Delivery, Delivery.status == "sent")
        # It finished the email in hand (and at most the one the server was taking), not its
        # batch of 20: counted in emails rather than seconds, which a busy machine stretches.
        assert 0 < sent_by_first < 20
        assert sent_by_first - before_the_signal <= 2
        assert len(list(mails.glob("*.eml"))) == sent_by_first
        second = subprocess.Popen(
            [sys.executable, "-m", "notifications", "mailer"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            wait_until(
                lambda: rows(notifications, Delivery, Delivery.status == "sent") == 60,
                timeout=60,
            )
        finally:
            assert stop_processes([second]) == [0]
    finally:
        controller.stop()
    ids = Counter(
        email.message_from_bytes(path.read_bytes())["Message-ID"] for path in mails.glob("*.eml")
    )
    assert len(ids) == 60
    assert set(ids.values()) == {1}
    assert rows(notifications, Delivery, Delivery.attempts != 1) == 0
