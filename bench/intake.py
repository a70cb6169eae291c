"""`python -m bench.intake`: the sign-ups a second the gateway takes in on its own (its web
process, one gunicorn worker, and its outbox relay; the services downstream elsewhere, as
compose and Kubernetes scale them), and where its worker's time goes; against bare Flask
and bare Flask with a committed INSERT, in the same run. Rewrites its section of
docs/performance.md.

Needs the local RabbitMQ and PostgreSQL (a private vhost and database, made and removed),
and py-spy (requirements-dev) to sample the worker. Takes about a minute.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests
from sanctuary.config import DEFAULT_AMQP_URL
from sanctuary_dev.secrets import TEST_SECRETS
from sanctuary_dev.servers import DEFAULT_TEST_POSTGRES_URL, private_database, private_vhost

from bench.baselines import Served, bare_flask, durable_flask, gunicorn_serving
from bench.clients import CLIENTS, THROUGHPUT_SECONDS, durable_post, sign_up, throughput
from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
SAMPLE_SECONDS = 6
# Where a sample of the worker is: the first of these steps with its frame on the stack.
STEPS = (
    (
        "finding the group: `submissions.place`, one SELECT in the recording transaction",
        "place (gateway/entrypoints/submissions",
    ),
    (
        "recording: `intake.accept`, the sign-up and its outbox message in one transaction",
        "accept (gateway/service_layer/intake",
    ),
    (
        "Flask around the view: routing, reading and checking the fields, hooks, the answer",
        "Flask.__call__ (flask/",
    ),
)
OTHER_STEP = "gunicorn and gevent: reading the request, writing the answer, switching"
# By the innermost library frame on the stack (our own code when none is).
LIBRARIES = (
    ("psycopg", "psycopg"),
    ("SQLAlchemy", "sqlalchemy/"),
    ("marshmallow", "marshmallow/"),
    ("logging", "logging/"),
    (
        "Flask, werkzeug, flask-smorest, webargs",
        ("flask/", "werkzeug/", "flask_smorest/", "webargs/"),
    ),
    ("gunicorn, gevent", ("gunicorn/", "gevent/")),
)


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        private_vhost(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)) as amqp_url,
        private_database(POSTGRES_URL, "gateway") as database_url,
    ):
        with bare_flask(ROOT) as bare_url:
            bare = throughput(lambda: requests.post(bare_url, json={"a": 1}, timeout=5))
        with durable_flask(ROOT) as durable_url:
            durable = throughput(lambda: durable_post(durable_url))
        sqlite_url = f"sqlite:///{Path(scratch) / 'gateway.db'}"
        with gateway(amqp_url, sqlite_url) as served:
            on_sqlite = throughput(lambda: sign_up(served.base, "bench@example.org"))
        with gateway(amqp_url, database_url) as served:
            on_postgresql = throughput(lambda: sign_up(served.base, "bench@example.org"))
            samples = sampled(served, Path(scratch) / "samples.txt")
    write(bare, durable, on_sqlite, on_postgresql, samples)


def migrated(amqp_url: str, database_url: str) -> dict[str, str]:
    """The gateway's settings for `database_url`, migrated first."""
    env = {
        **TEST_SECRETS,
        "GATEWAY_DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "PUBLIC_RATE_LIMIT": "",  # one address standing for many people
    }
    subprocess.run(
        [sys.executable, "-m", "gateway", "migrate"], env={**os.environ, **env}, check=True
    )
    return env


@contextmanager
def gateway(amqp_url: str, database_url: str) -> Iterator[Served]:
    """The gateway's web process (one worker) and relay on `database_url`, migrated first."""
    env = migrated(amqp_url, database_url)
    full = {**os.environ, **env}
    relay = subprocess.Popen(
        [sys.executable, "-m", "gateway", "relay"], env=full, stderr=subprocess.DEVNULL
    )
    try:
        with gunicorn_serving(ROOT, "gateway.entrypoints.web:create_app()", "/readyz", **env) as s:
            yield s
    finally:
        relay.terminate()
        relay.wait(timeout=30)


def sampled(served: Served, out: Path) -> Counter[tuple[str, ...]]:
    """py-spy's samples of the worker holding the GIL while sign-ups come as fast as the
    clients send them: a count for each stack."""
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            *("record", "--gil", "--rate", "250", "--format", "raw"),
            *("--duration", str(SAMPLE_SECONDS), "--pid", str(served.worker()), "-o", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    throughput(lambda: sign_up(served.base, "bench@example.org"))
    spy.wait(timeout=SAMPLE_SECONDS + 30)
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in out.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def step_of(stack: tuple[str, ...]) -> str:
    for label, frame in STEPS:
        if any(f.startswith(frame) for f in stack):
            return label
    return OTHER_STEP


def library_of(stack: tuple[str, ...]) -> str:
    for frame in reversed(stack):
        where = frame.rsplit("(", 1)[-1]
        for label, prefixes in LIBRARIES:
            if where.startswith(prefixes):
                return label
        if where.startswith(("gateway/", "sanctuary/")):
            return "our code (gateway, sanctuary)"
    return "the rest of Python"


def shares(
    samples: Counter[tuple[str, ...]], key: Callable[[tuple[str, ...]], str]
) -> list[tuple[str, float]]:
    """Each label's share of the samples, in per cent, the largest first."""
    by: Counter[str] = Counter()
    for stack, count in samples.items():
        by[key(stack)] += count
    total = sum(by.values()) or 1
    return [(label, 100 * count / total) for label, count in by.most_common()]


def write(
    bare: float,
    durable: float,
    on_sqlite: float,
    on_postgresql: float,
    samples: Counter[tuple[str, ...]],
) -> None:
    served = f"{CLIENTS} clients for {THROUGHPUT_SECONDS:.0f} s, 1 gunicorn worker"
    lines = [
        "## Intake: the gateway on its own, and where its time goes",
        "",
        "Made by `.venv/bin/python -m bench.intake` (not part of `make test`), which rewrites "
        f"this section. This machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The gateway's "
        "web process (one gevent worker, as `make run` serves it) and its outbox relay, with "
        "nothing downstream running: its queues fill. `make bench` measures the same POST "
        "with the whole system running on the same two cores.",
        "",
        "| what | sign-ups/s | against bare Flask |",
        "|---|---:|---:|",
        f"| POST /api/v1/volunteers on PostgreSQL, {served} | {on_postgresql:.0f} | "
        f"{on_postgresql / bare:.2f}x |",
        f"| the same on SQLite | {on_sqlite:.0f} | {on_sqlite / bare:.2f}x |",
        f"| bare Flask keeping the body in one committed INSERT (psycopg) | {durable:.0f} | "
        f"{durable / bare:.2f}x |",
        f"| bare Flask | {bare:.0f} | 1x |",
        "",
        f"Where the worker's time went on PostgreSQL ({sum(samples.values()):,} samples by "
        f"py-spy, {SAMPLE_SECONDS} s at 250 a second, only while it held the GIL), by step:",
        "",
        "| step | share |",
        "|---|---:|",
        *[f"| {label} | {share:.0f} % |" for label, share in shares(samples, step_of)],
        "",
        "and by the library running at the moment of the sample:",
        "",
        "| library | share |",
        "|---|---:|",
        *[f"| {label} | {share:.0f} % |" for label, share in shares(samples, library_of)],
        "",
    ]
    section = "\n".join(lines)
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
