"""The outbox relay, run as the real `python -m gateway relay` process.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the relay processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from gateway.adapters.models import Outbox
from gateway.bootstrap import bootstrap
from gateway.config import GatewayConfig
from sanctuary import topology
from sanctuary.runtime import Service
from sanctuary_dev.messages import queue_messages, signed_up
from sanctuary_dev.processes import wait_until
from sqlalchemy import func, select

pytestmark = pytest.mark.integration
MATCHING_QUEUE = topology.queue_name("matching")


@pytest.fixture
def gateway(make_service: Callable[..., Service]) -> Service:
    """The gateway on its own PostgreSQL database and vhost."""
    return make_service(bootstrap, "gateway", GatewayConfig)


@contextmanager
def relay_process(
    service: Service, amqp_url: str | None = None, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m gateway relay` as a separate process; stopped with SIGTERM afterwards."""
    env = {
        **os.environ,
        **extra,
        "GATEWAY_DATABASE_URL": service.config.database_url,
        "AMQP_URL": amqp_url or service.config.amqp_url,
        "RELAY_POLL_SECONDS": "0.05",
        "RETRY_DELAYS_MS": ",".join(map(str, service.config.retry_delays_ms)),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "relay"], env=env, stderr=subprocess.PIPE
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, process.stderr_text = process.communicate(timeout=30)  # type: ignore[attr-defined]


def add_to_outbox(service: Service, how_many: int) -> list[str]:
    ids = []
    for i in range(how_many):
        with service.unit_of_work(f"c-{i}") as uow:
            ids.append(uow.publish(signed_up()))
    return ids


def unsent(service: Service) -> int:
    with service.sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None)))
            or 0
        )


def published_count(process: subprocess.Popen[bytes]) -> int:
    """What a stopped relay says it published, from its last log line."""
    text: bytes = process.stderr_text  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in text.splitlines() if line.startswith(b"{")]
    return int(next(line["published"] for line in lines if "published" in line))


def published_ids(amqp_url: str) -> list[Any]:
    return [m.properties["message_id"] for m in queue_messages(amqp_url, MATCHING_QUEUE)]


def test_a_relay_killed_after_the_commit_and_before_the_publish_publishes_once_on_restart(
    gateway: Service,
) -> None:
    """The row outlives the dead relay; the next relay publishes it, and only once."""
    [message_id] = add_to_outbox(gateway, 1)
    # This relay can reach its database but no broker: it holds the row and cannot publish.
    with relay_process(gateway, amqp_url="amqp://guest:guest@127.0.0.1:1/") as doomed:
        time.sleep(1.5)
        doomed.send_signal(signal.SIGKILL)
    assert unsent(gateway) == 1
    with relay_process(gateway):
        wait_until(lambda: unsent(gateway) == 0)
    with relay_process(gateway):  # and a later relay finds nothing left to send
        time.sleep(1)
    assert published_ids(gateway.config.amqp_url) == [message_id]


def test_a_published_message_carries_the_whole_envelope(gateway: Service) -> None:
    """message_id, type, timestamp, correlation_id, app_id, content type, persistence, version."""
    [message_id] = add_to_outbox(gateway, 1)
    with relay_process(gateway):
        wait_until(lambda: unsent(gateway) == 0)
    [message] = queue_messages(gateway.config.amqp_url, MATCHING_QUEUE)
    props = message.properties
    assert props["message_id"] == message_id
    assert props["type"] == "volunteer.signed_up"
    assert props["correlation_id"] == "c-0"
    assert props["app_id"] == "gateway"
    assert props["delivery_mode"] == 2
    assert abs(props["timestamp"] - time.time()) < 60
    assert message.content_type == "application/json"
    assert message.headers["schema_version"] == 2  # volunteer.signed_up is at version 2


def test_two_relays_on_one_postgres_outbox_under_load_publish_every_row_exactly_once(
    gateway: Service,
) -> None:
    """SKIP LOCKED hands each row to one relay: 2,000 rows, 2,000 distinct messages."""
    expected = add_to_outbox(gateway, 1000)
    with relay_process(gateway) as one, relay_process(gateway) as two:
        expected += add_to_outbox(gateway, 1000)  # more arrive while both relays run
        wait_until(lambda: unsent(gateway) == 0, timeout=60)
    shares = [published_count(one), published_count(two)]
    assert sum(shares) == 2000
    assert min(shares) > 0, f"one relay did all the work: {shares}"
    ids = published_ids(gateway.config.amqp_url)
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []
    assert sorted(ids) == sorted(expected)


def test_published_rows_are_deleted_after_the_retention_and_unsent_ones_never(
    gateway: Service,
) -> None:
    """Outbox bodies hold personal data: kept only as long as the retention says."""
    from datetime import UTC, datetime, timedelta

    from sanctuary.envelope import connect
    from sanctuary.outbox import Relay
    from sqlalchemy import update

    old, recent = add_to_outbox(gateway, 2)
    pending = add_to_outbox(gateway, 1)
    with gateway.sessions.begin() as session:
        session.execute(
            update(Outbox)
            .where(Outbox.message_id == old)
            .values(sent_at=datetime.now(UTC) - timedelta(hours=73))
        )
        session.execute(
            update(Outbox)
            .where(Outbox.message_id == recent)
            .values(sent_at=datetime.now(UTC) - timedelta(hours=1))
        )
    with connect(gateway.config.amqp_url) as connection:
        relay = Relay(
            gateway.sessions,
            Outbox,
            connection,
            app_id="gateway",
            retry_delays_ms=gateway.config.retry_delays_ms,
            retention=timedelta(hours=72),
        )
        assert relay.prune() == 1
    with gateway.sessions() as session:
        left = set(session.scalars(select(Outbox.message_id)))
    assert left == {recent, *pending}


def test_a_relay_serves_its_outbox_lag_to_prometheus_on_metrics_port(gateway: Service) -> None:
    """METRICS_PORT: the relay reports how many rows wait and how old the oldest is."""
    import requests
    from sanctuary_dev.mailsink import free_port

    port = free_port()
    with relay_process(gateway, METRICS_PORT=str(port)):
        wait_until(lambda: _scrape(requests, port), timeout=15)
        text = _scrape(requests, port)
    assert 'sanctuary_outbox_unsent{service="gateway"} 0.0' in text
    assert "sanctuary_outbox_oldest_unsent_seconds" in text


def _scrape(requests: Any, port: int) -> str:
    try:
        text: str = requests.get(f"http://127.0.0.1:{port}/", timeout=1).text
    except requests.RequestException:
        return ""
    return text if "sanctuary_outbox_unsent{" in text else ""
