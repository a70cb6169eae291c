"""`make bench`: the sign-up flow's figures against same-run baselines, into docs/benchmarks.md.

Needs the local RabbitMQ (a private vhost is made and removed), the local PostgreSQL (four
private databases, made and dropped; TEST_POSTGRES_URL) and nothing else running on the
chosen ports. Takes about two minutes.
"""

from __future__ import annotations

import email
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
from sanctuary.config import DEFAULT_AMQP_URL
from sanctuary_dev import mailsink
from sanctuary_dev.processes import running_system, wait_until
from sanctuary_dev.servers import private_vhost

from bench.baselines import bare_flask, broker_round_trips, durable_flask, smtp_sends, timed
from bench.clients import CLIENTS, durable_post, sign_up, throughput
from bench.paced import PACED_RATE, PACED_SECONDS, paced_on_postgresql

ROOT = Path(__file__).resolve().parents[1]
SIGN_UPS = 20


def signup_to_email(gateway: str, mail: Path) -> list[float]:
    """Seconds from the 202 to the welcome email in the SMTP sink, one sign-up at a time."""
    samples = []
    for _ in range(SIGN_UPS):
        address = f"bench-{uuid.uuid4().hex[:10]}@example.org"
        answer = sign_up(gateway, address)
        accepted = time.perf_counter()
        assert answer.status_code == 202, answer.text

        def arrived(address: str = address) -> bool:
            return any(
                email.message_from_bytes(p.read_bytes())["To"] == address
                for p in mail.glob("*.eml")
            )

        wait_until(arrived, timeout=30, interval=0.005)
        samples.append(time.perf_counter() - accepted)
    return samples


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f}"


def p95(samples: list[float]) -> str:
    return f"{sorted(samples)[int(len(samples) * 0.95) - 1] * 1000:.1f}"


def main() -> None:
    """Measure, print and write docs/benchmarks.md."""
    with (
        tempfile.TemporaryDirectory() as scratch,
        private_vhost(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)) as amqp_url,
    ):
        sink = mailsink.start(Path(scratch) / "mail")
        try:
            broker = broker_round_trips(amqp_url, 200)
            smtp = smtp_sends(sink.port, 50)
            with bare_flask(ROOT) as bare_url:
                bare_post = timed(lambda: requests.post(bare_url, json={"a": 1}, timeout=5), 200)
                bare_rate = throughput(lambda: requests.post(bare_url, json={"a": 1}, timeout=5))
            with durable_flask(ROOT) as durable_url:
                durable_rate = throughput(lambda: durable_post(durable_url))
            # No rate limit: the benchmark is one address standing for many people.
            with running_system(
                ROOT, amqp_url, Path(scratch) / "var", sink.port, PUBLIC_RATE_LIMIT=""
            ) as gateway:
                latency = signup_to_email(gateway, Path(scratch) / "mail")
                gateway_post = timed(lambda: sign_up(gateway, "bench@example.org"), 200)
                gateway_rate = throughput(lambda: sign_up(gateway, "bench@example.org"))
            paced, pg_rate = paced_on_postgresql(
                ROOT, amqp_url, Path(scratch), sink.port, sign_up, throughput
            )
        finally:
            sink.stop()
    rows = latency_rows(latency, gateway_post, bare_post, broker, smtp)
    floor = float(rows[1][1]) / 1000
    p99 = paced[int(len(paced) * 0.99) - 1]
    rows.insert(
        1,
        (
            f"the same on PostgreSQL, {PACED_RATE:.0f} sign-ups/s for {PACED_SECONDS:.0f} s "
            f"({len(paced)})",
            ms(paced),
            p95(paced),
            f"p99 {p99 * 1000:.1f} ms; {statistics.median(paced) / floor:.1f}x the floor",
        ),
    )
    rates = rate_rows(gateway_rate, pg_rate, bare_rate, durable_rate)
    write_report(rows, rates)


def rate_rows(
    sqlite: float, postgresql: float, bare: float, durable: float
) -> list[tuple[str, float, str]]:
    """The throughput table, each rate against bare Flask's."""
    served = f"{CLIENTS} clients, 1 gunicorn worker"
    return [
        (f"POST /api/v1/volunteers, {served}", sqlite, f"{sqlite / bare:.2f}x bare Flask"),
        (f"the same on PostgreSQL, {served}", postgresql, f"{postgresql / bare:.2f}x bare Flask"),
        (
            f"bare Flask + the body in one committed INSERT on PostgreSQL (psycopg), {served}",
            durable,
            f"{durable / bare:.2f}x bare Flask; the gateway on PostgreSQL is "
            f"{postgresql / durable:.2f}x this",
        ),
        (f"bare Flask POST, {served}", bare, ""),
    ]


def latency_rows(
    latency: list[float],
    gateway_post: list[float],
    bare_post: list[float],
    broker: list[float],
    smtp: list[float],
) -> list[tuple[str, str, str, str]]:
    """The latency table, each figure against its floor or baseline."""
    floor = [statistics.median(bare_post) + 2 * statistics.median(broker) + statistics.median(smtp)]
    return [
        (
            "sign-up 202 → welcome email in the SMTP sink, SQLite, one at a time (20)",
            ms(latency),
            p95(latency),
            f"{statistics.median(latency) / floor[0]:.1f}x the floor below",
        ),
        ("floor: bare Flask POST + 2 raw broker round trips + raw SMTP send", ms(floor), "", ""),
        (
            "POST /api/v1/volunteers round trip (median of 200)",
            ms(gateway_post),
            p95(gateway_post),
            f"{statistics.median(gateway_post) / statistics.median(bare_post):.1f}x bare Flask",
        ),
        ("bare Flask POST round trip (median of 200)", ms(bare_post), p95(bare_post), ""),
        (
            "raw broker publish (confirmed) + consume, pika (median of 200)",
            ms(broker),
            p95(broker),
            "",
        ),
        ("raw SMTP send, smtplib (median of 50)", ms(smtp), p95(smtp), ""),
    ]


def write_report(
    rows: list[tuple[str, str, str, str]], rates: list[tuple[str, float, str]]
) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`.venv/bin/python -m bench`), which rewrites this file. Each "
        "figure is set against a baseline measured in the same run, on the same machine:",
        f"this machine ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The system runs "
        "as `make run` starts it (SQLite files, one gunicorn worker per web process, relays "
        "and mailer woken by each commit to the table they read, ADR 0034, and polling "
        "every 0.2 s as a safety net).",
        "",
        "## Latency",
        "",
        "| what | median ms | p95 ms | ratio |",
        "|---|---:|---:|---|",
        *[f"| {what} | {median} | {tail} | {ratio} |" for what, median, tail, ratio in rows],
        "",
        "## Throughput",
        "",
        "| what | requests/s | ratio |",
        "|---|---:|---|",
        *[f"| {what} | {rate:.0f} | {ratio} |" for what, rate, ratio in rates],
        "",
        "The sign-up's path to the email crosses three outbox relays and the mailer. Each "
        "wakes when a commit writes its SQLite file (inotify on the write-ahead log), at most "
        "once every 50 ms so that a burst makes one batch; before ADR 0034 each polled every "
        "0.2 s and the median was 402 ms.",
        "",
    ]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
