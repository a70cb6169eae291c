"""Sign-ups at a steady rate, and how long each one's welcome email took to reach the sink."""

from __future__ import annotations

import email
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import requests
from sanctuary_dev.processes import running_system, wait_until
from sanctuary_dev.servers import DEFAULT_TEST_POSTGRES_URL, private_database

CLIENTS = 4
PACED_RATE, PACED_SECONDS = 50.0, 10.0
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
SignUp = Callable[[str, str], requests.Response]


def paced_on_postgresql(
    root: Path,
    amqp_url: str,
    scratch: Path,
    smtp_port: int,
    sign_up: SignUp,
    throughput: Callable[[Callable[[], requests.Response]], float],
) -> tuple[list[float], float]:
    """The system as `make run` starts it, but on four private PostgreSQL databases (made
    and dropped): the email delays at PACED_RATE sign-ups a second for PACED_SECONDS (see
    paced_signups), then the sign-ups accepted a second by `throughput`."""
    with ExitStack() as databases:
        urls = {
            f"{name.upper()}_DATABASE_URL": databases.enter_context(
                private_database(POSTGRES_URL, name)
            )
            for name in ("gateway", "matching", "events", "notifications")
        }
        with running_system(
            root, amqp_url, scratch / "var-pg", smtp_port, PUBLIC_RATE_LIMIT="", **urls
        ) as gateway:
            paced = paced_signups(gateway, scratch / "mail", PACED_RATE, PACED_SECONDS, sign_up)
            return paced, throughput(lambda: sign_up(gateway, "bench@example.org"))


def paced_signups(
    gateway: str, mail: Path, rate: float, seconds: float, sign_up: SignUp
) -> list[float]:
    """`rate` sign-ups a second for `seconds`, each sent on its schedule by one of CLIENTS
    clients; returns, for each, the seconds from its 202 to its welcome email's arrival (the
    sink names each file by the time it saved it, on this process's clock)."""
    total = int(rate * seconds)
    start = time.time() + 0.5
    accepted: dict[str, float] = {}

    def client(index: int) -> None:
        for n in range(index, total, CLIENTS):
            pause = start + n / rate - time.time()
            if pause > 0:
                time.sleep(pause)
            address = f"paced-{uuid.uuid4().hex[:12]}@example.org"
            answer = sign_up(gateway, address)
            assert answer.status_code == 202, answer.text
            accepted[address] = time.time()

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    arrived: dict[str, float] = {}

    def all_arrived() -> bool:
        for path in mail.glob("*.eml"):
            to = email.message_from_bytes(path.read_bytes())["To"]
            if to in accepted and to not in arrived:
                arrived[to] = int(path.name.split("-")[0]) / 1e9
        return len(arrived) == total

    wait_until(all_arrived, timeout=120, interval=0.5)
    return sorted(arrived[address] - accepted[address] for address in accepted)
