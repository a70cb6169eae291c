"""`python -m bench.intake_parts`: what one sign-up costs the gateway in CPU, part by part,
called in one process through Flask's test client (no gunicorn, relay or clients), against
bare Flask's view in the same run. A part is measured by leaving it out: a "what if", never
how the gateway runs. Rewrites its section of docs/performance.md (ADR 47).

Needs the local PostgreSQL and RabbitMQ (a private database and vhost, made and removed).
Takes about a minute.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from sanctuary.config import DEFAULT_AMQP_URL
from sanctuary_dev.forms import volunteer_sign_up
from sanctuary_dev.servers import private_database, private_vhost

from bench.bare_app import create_app as bare_app
from bench.intake import POSTGRES_URL, migrated
from bench.report import write_section

WARM_UP, TIMES, ROUNDS = 100, 600, 3
BODY = volunteer_sign_up("bench@example.org")


def cpu_ms(post: Callable[[], Any]) -> float:
    """CPU milliseconds a POST costs this process: the median of ROUNDS rounds of TIMES."""
    for _ in range(WARM_UP):
        post()
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(TIMES):
            post()
        rounds.append((time.process_time() - start) * 1000 / TIMES)
    return statistics.median(rounds)


def measure() -> list[tuple[str, float]]:
    bare = bare_app().test_client()
    rows = [("bare Flask's view", cpu_ms(lambda: bare.post("/echo", json=BODY)))]
    with (
        private_vhost(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)) as amqp_url,
        private_database(POSTGRES_URL, "gateway") as database_url,
    ):
        os.environ.update(migrated(amqp_url, database_url))
        from gateway.entrypoints.public_api import people
        from gateway.entrypoints.web import create_app
        from gateway.service_layer import groups

        client = create_app().test_client()

        def sign_up() -> None:
            assert client.post("/api/v1/volunteers", json=BODY).status_code == 202

        def not_recorded(*_: object, **__: object) -> tuple[dict[str, str], dict[str, str]]:
            return {"id": str(uuid.uuid4())}, {"Location": "/"}

        rows.append(("the whole sign-up (PostgreSQL)", cpu_ms(sign_up)))
        with patch.object(groups, "_covering", lambda session, postcode: None):
            rows.append(("the same without finding the group", cpu_ms(sign_up)))
        with patch.object(people, "accepted", not_recorded):
            rows.append(
                (
                    "the same without recording: hooks, field checks, flask-smorest, the answer",
                    cpu_ms(sign_up),
                )
            )
    return rows


def main() -> None:
    rows = measure()
    lines = [
        "## Intake: one sign-up's CPU, part by part",
        "",
        "Made by `.venv/bin/python -m bench.intake_parts` (not part of `make test`), which "
        f"rewrites this section. This machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The gateway's "
        "app is called in one process through Flask's test client, one request at a time, on "
        "PostgreSQL, with no relay; bare Flask's view the same way, in the same run. A part is "
        f"measured by leaving it out. CPU of this process a POST, median of {ROUNDS} rounds of "
        f"{TIMES} (ADR 47).",
        "",
        "| what runs | CPU ms a POST |",
        "|---|---:|",
        *[f"| {label} | {ms:.2f} |" for label, ms in rows],
        "",
    ]
    section = "\n".join(lines)
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
