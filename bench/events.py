"""`python -m bench.events`: registrations decided per second with one and with four events
workers, beside the raw broker publish-and-consume rate, all in one run; into
docs/performance.md.

Needs the local RabbitMQ and PostgreSQL (a private vhost and database are made and removed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from events.adapters.models import Event, Registration
from events.bootstrap import bootstrap
from sanctuary import contracts
from sanctuary.config import DEFAULT_AMQP_URL, ServiceConfig
from sanctuary.migrations import upgrade
from sanctuary.vocabulary import EventKind, EventStatus, RegistrationStatus
from sanctuary_dev.messages import publish_messages
from sanctuary_dev.processes import wait_until
from sanctuary_dev.secrets import with_secrets
from sanctuary_dev.servers import (
    DEFAULT_TEST_POSTGRES_URL,
    TEST_RETRY_DELAYS_MS,
    private_database,
    private_vhost,
)
from sqlalchemy import delete, func, select

from bench.baselines import broker_round_trips
from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 2000


def publish_requests(amqp_url: str, event_id: uuid.UUID) -> None:
    requests = (
        contracts.RegistrationRequested(
            registration_id=uuid.uuid4(),
            event_id=event_id,
            name="Bench",
            email=f"b{i}@example.org",
            requested_at=datetime.now(UTC),
        )
        for i in range(REQUESTS)
    )
    publish_messages(amqp_url, requests, app_id="bench")


def an_event(service) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A fresh event with places for a tenth of the requests; no registration left from before."""
    event_id = uuid.uuid4()
    with service.sessions.begin() as session:
        session.execute(delete(Registration))
        starts = datetime.now(UTC) + timedelta(days=3)
        session.add(
            Event(
                id=event_id,
                title="Bench",
                description="",
                kind=EventKind.SOCIAL,
                topic=None,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                timezone="Europe/London",
                capacity=REQUESTS // 10,
                online_url=None,
                location="Hall",
                registration_closes_at=None,
                status=EventStatus.PUBLISHED,
                sequence=0,
                created_at=datetime.now(UTC),
            )
        )
    return event_id


def decided_per_second(service, amqp_url: str, workers: int) -> float:  # type: ignore[no-untyped-def]
    """Requests decided per second by `workers` worker processes, from the first started."""
    publish_requests(amqp_url, an_event(service))
    env = {
        **with_secrets(dict(os.environ)),
        "EVENTS_DATABASE_URL": service.config.database_url,
        "AMQP_URL": amqp_url,
        "RETRY_DELAYS_MS": ",".join(map(str, TEST_RETRY_DELAYS_MS)),
        "LOG_LEVEL": "WARNING",
    }
    start = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, "-m", "events", "worker"], env=env)
        for _ in range(workers)
    ]
    try:
        with service.sessions() as session:
            wait_until(
                lambda: session.scalar(select(func.count()).select_from(Registration)) == REQUESTS,
                timeout=600,
                interval=0.05,
            )
        elapsed = time.perf_counter() - start
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
    with service.sessions() as session:
        confirmed = session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.status == RegistrationStatus.CONFIRMED)
        )
    assert confirmed == REQUESTS // 10, confirmed
    return REQUESTS / elapsed


def raw_rate(amqp_url: str) -> float:
    """pika: REQUESTS confirmed persistent publishes into a quorum queue, then consumed."""
    samples = broker_round_trips(amqp_url, REQUESTS)
    return REQUESTS / sum(samples)


def main() -> None:
    with (
        private_vhost(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)) as amqp_url,
        private_database(
            os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL), "events"
        ) as url,
    ):
        service = bootstrap(
            ServiceConfig(
                service="events",
                database_url=url,
                amqp_url=amqp_url,
                retry_delays_ms=TEST_RETRY_DELAYS_MS,
            )
        )
        upgrade(service.migrations, url, service.metadata)
        raw = raw_rate(amqp_url)
        one = decided_per_second(service, amqp_url, 1)
        four = decided_per_second(service, amqp_url, 4)
        service.engine.dispose()
    section = "\n".join(
        [
            "## Events",
            "",
            "Made by `.venv/bin/python -m bench.events` (not part of `make test`), which rewrites "
            f"this section. {REQUESTS:,} registration requests for one event with "
            f"{REQUESTS // 10} places, published first, then decided by real `python -m events "
            "worker` processes on PostgreSQL (each decision locks the event's row). Baseline: "
            "pika publishing (confirmed, persistent) and consuming one message at a time through a "
            "quorum queue, in the same run.",
            "",
            "| what | per second | against the raw broker |",
            "|---|---:|---|",
            f"| registrations decided, 1 worker | {one:.0f} | {one / raw:.2f}x |",
            f"| registrations decided, 4 workers | {four:.0f} | {four / raw:.2f}x |",
            f"| raw broker publish and consume (pika, one at a time) | {raw:.0f} | 1x |",
            "",
            "The time includes starting the worker processes (about a second). Four workers "
            "serialise on the one event's row lock, and this machine has two cores: more workers "
            "help when registrations spread over several events. Each decision also counts the "
            "event's confirmed places; a counter on the event row would make that constant.",
            "",
        ]
    )
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
