"""`python -m bench.events`: registrations decided per second with one and with four events
workers, one message a transaction and in batches (WORKER_BATCH, as deployed), beside the raw
broker publish-and-consume rate, all in one run; into docs/performance.md.

Needs the local RabbitMQ and PostgreSQL (a private vhost and database are made and removed).
`BENCH_REQUESTS` sets the requests (1,000, for a tenth as many places), `BENCH_WORKER_BATCH`
the batch (50, as docker-compose.yml and deploy/ run the events worker).
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
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
WORKER_BATCH = int(os.environ.get("BENCH_WORKER_BATCH", "50"))


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


def decided_per_second(service, amqp_url: str, workers: int, batch: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Requests decided per second by `workers` worker processes taking `batch` messages a
    transaction: from the first process started, and from the first decision to the last."""
    publish_requests(amqp_url, an_event(service))
    env = {
        **with_secrets(dict(os.environ)),
        "EVENTS_DATABASE_URL": service.config.database_url,
        "AMQP_URL": amqp_url,
        "RETRY_DELAYS_MS": ",".join(map(str, TEST_RETRY_DELAYS_MS)),
        "LOG_LEVEL": "WARNING",
        "WORKER_BATCH": str(batch),
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
        first, last = session.execute(
            select(func.min(Registration.decided_at), func.max(Registration.decided_at))
        ).one()
    assert confirmed == REQUESTS // 10, confirmed
    return REQUESTS / elapsed, REQUESTS / max((last - first).total_seconds(), 1e-3)


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
        rows = [
            (workers, batch, *decided_per_second(service, amqp_url, workers, batch))
            for workers, batch in ((1, 1), (4, 1), (1, WORKER_BATCH), (4, WORKER_BATCH))
        ]
        service.engine.dispose()
    section = report(rows, raw)
    write_section(section)
    print(section)


def report(rows: list[tuple[int, int, float, float]], raw: float) -> str:
    """The section: each configuration's rate and time, against the raw broker's."""
    return "\n".join(
        [
            "## Events",
            "",
            "Made by `.venv/bin/python -m bench.events` (not part of `make test`), which rewrites "
            f"this section on {datetime.now(UTC):%Y-%m-%d}. {REQUESTS:,} registration requests "
            f"for one event with {REQUESTS // 10} places, published first, then decided by real "
            "`python -m events worker` processes on PostgreSQL: each transaction locks the "
            "event's row and reads its count of places from it (ADR 0036). Baseline: pika "
            "publishing (confirmed, persistent) and consuming one message at a time through a "
            "quorum queue, in the same run.",
            "",
            "| what | per second | first to last decision | from the workers' start | "
            "against the raw broker |",
            "|---|---:|---:|---:|---|",
            *(
                f"| registrations decided, {w} worker{'s' if w > 1 else ''}, "
                f"WORKER_BATCH={b} | {deciding:.0f} | {REQUESTS / deciding:.2f} s | "
                f"{REQUESTS / started:.2f} s | {deciding / raw:.2f}x |"
                for w, b, started, deciding in rows
            ),
            f"| raw broker publish and consume (pika, one at a time) | {raw:.0f} | "
            f"{REQUESTS / raw:.2f} s | | 1x |",
            "",
            '"From the workers\' start" includes starting the processes (about a second on '
            "this machine, each importing the service). Workers serialise on the one event's "
            "row lock, and this machine has two cores: more workers help when registrations "
            "spread over several events.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
