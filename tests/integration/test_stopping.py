"""SIGTERM under load: a process finishes what it holds, exits cleanly, and nothing is lost or
done twice.

Real: RabbitMQ (a private vhost), PostgreSQL (private databases), and the processes as
production runs them (`python -m <service> relay|worker`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from gateway.models import Outbox as GatewayOutbox
from matching.bootstrap import bootstrap as matching_bootstrap
from matching.models import Inbox, Outbox, Volunteer
from sanctuary import topology
from sanctuary.outbox import enqueue
from sanctuary.runtime import Service
from sanctuary.testing import (
    publish_message,
    queue_messages,
    signed_up,
    stop_processes,
    wait_until,
    worker_processes,
)
from sqlalchemy import func, select

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
    with gateway.sessions.begin() as session:
        expected = [
            enqueue(session, GatewayOutbox, signed_up(), correlation_id="c") for _ in range(1500)
        ]
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
