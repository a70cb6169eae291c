"""Starting in any order: a process whose broker or database is not there yet waits, saying
so in one log line a try, and starts once they come; a deploy that never gets them fails
with the reason.

Real: RabbitMQ (a vhost made during the test), PostgreSQL (a database made during the test)
and the processes as production runs them (`python -m <service> worker|relay|mailer`, gunicorn).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests
from matching.adapters.models import Volunteer
from matching.bootstrap import bootstrap as matching_bootstrap
from notifications.bootstrap import bootstrap as notifications_bootstrap
from sanctuary import preflight
from sanctuary.config import ServiceConfig
from sanctuary.migrations import upgrade
from sanctuary.runtime import Service
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.messages import publish_message, signed_up
from sanctuary_dev.processes import http_status, wait_until, web_process
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration

# PostgreSQL here trusts local logins, so any password works: one we can look for in the logs.
PASSWORD = "pw-that-must-not-be-logged"


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines a process has written so far."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def events_in(path: Path, event: str) -> list[dict[str, Any]]:
    return [line for line in log_lines(path) if line.get("event") == event]


@pytest.fixture
def later_database(postgres_admin_url: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """A database URL (with a password in it) and a function that creates the database."""
    name = f"t_{uuid.uuid4().hex[:10]}_later"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    url = (
        make_url(postgres_admin_url)
        .set(database=name, password=PASSWORD)
        .render_as_string(hide_password=False)
    )

    def create() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

    yield url, create
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def later_vhost(broker_base_url: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """An AMQP URL on a vhost that does not exist yet, and a function that creates it."""
    name = f"sanctuary-test-later-{uuid.uuid4().hex[:8]}"
    parts = urlsplit(broker_base_url)

    def create() -> None:
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
        subprocess.run(
            [
                "rabbitmqctl",
                "-q",
                "set_permissions",
                "-p",
                name,
                parts.username or "guest",
                ".*",
                ".*",
                ".*",
            ],
            check=True,
            capture_output=True,
        )

    yield urlunsplit(parts._replace(path="/" + quote(name, safe=""))), create
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], check=False, capture_output=True)


def start(service: str, command: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """`python -m <service> <command>`, its JSON log lines going to `log`."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", service, command],
            env={**os.environ, "STARTUP_WAIT_SECONDS": "120", **env},
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


@contextmanager
def running(
    bootstrap: Callable[..., Service], command: str, log: Path, database_url: str, **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], Service]]:
    """`python -m <service> <command>` on `database_url`, and the service wired on the same
    database for the test to look at; the process is killed if a failed test leaves it
    running."""
    name = bootstrap.__module__.split(".")[0]  # matching.bootstrap -> matching
    service = bootstrap(ServiceConfig(service=name, database_url=database_url))
    process = start(name, command, log, **{f"{name.upper()}_DATABASE_URL": database_url}, **env)
    try:
        yield process, service
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        service.engine.dispose()


def volunteers(service: Service) -> int:
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Volunteer)) or 0)


def test_a_worker_started_before_its_database_and_broker_waits_then_consumes(
    tmp_path: Path,
    later_database: tuple[str, Callable[[], None]],
    later_vhost: tuple[str, Callable[[], None]],
) -> None:
    """No database, then no schema, then no vhost: the worker stays up, logs each wait
    (without the password), and consumes once everything is there."""
    database_url, create_database = later_database
    amqp_url, create_vhost = later_vhost
    log = tmp_path / "worker.log"
    with running(matching_bootstrap, "worker", log, database_url, AMQP_URL=amqp_url) as (
        worker,
        service,
    ):
        first = wait_until(lambda: events_in(log, "waiting for database"), timeout=20)[0]
        assert first["attempt"] == 1
        assert first["retry_in_s"] > 0
        assert "does not exist" in first["reason"]
        create_database()
        wait_until(lambda: "schema" in events_in(log, "waiting for database")[-1]["reason"])
        upgrade(service.migrations, database_url, service.metadata)
        wait_until(lambda: events_in(log, "waiting for broker"), timeout=40)
        assert worker.poll() is None  # waiting, not crashed
        create_vhost()
        wait_until(lambda: events_in(log, "broker is there"), timeout=40)
        publish_message(amqp_url, signed_up())
        wait_until(lambda: volunteers(service) == 1, timeout=20)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    written = log.read_text()
    assert PASSWORD not in written
    attempts = [line["attempt"] for line in events_in(log, "waiting for database")]
    assert attempts == list(range(1, len(attempts) + 1))  # one line a try, numbered


def test_a_relay_that_never_finds_its_broker_gives_up_with_the_reason(
    tmp_path: Path, make_service: Callable[..., Service]
) -> None:
    """STARTUP_WAIT_SECONDS bounds the wait: exit 1 and one line saying what was missing."""
    from gateway.bootstrap import bootstrap as gateway_bootstrap
    from gateway.config import GatewayConfig

    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    log = tmp_path / "relay.log"
    relay = start(
        "gateway",
        "relay",
        log,
        GATEWAY_DATABASE_URL=gateway.config.database_url,
        AMQP_URL=f"amqp://guest:{PASSWORD}@127.0.0.1:1/%2F",
        STARTUP_WAIT_SECONDS="3",
    )
    assert relay.wait(timeout=30) == 1
    [gave_up] = events_in(log, "gave up waiting for broker")
    assert "ConnectionRefusedError" in gave_up["reason"] or "refused" in gave_up["reason"]
    assert len(events_in(log, "waiting for broker")) >= 2
    written = log.read_text()
    assert "gave up waiting for broker at amqp://127.0.0.1:1/%2F" in written
    assert PASSWORD not in written


def test_the_mailer_waits_for_its_schema_and_not_for_the_broker(
    tmp_path: Path, later_database: tuple[str, Callable[[], None]]
) -> None:
    """The mailer uses no broker: with the broker away and the database unmigrated, it waits
    for the schema only, and starts once it is there."""
    database_url, create_database = later_database
    create_database()
    log = tmp_path / "mailer.log"
    closed_broker = "amqp://guest:guest@127.0.0.1:1/%2F"
    with running(notifications_bootstrap, "mailer", log, database_url, AMQP_URL=closed_broker) as (
        mailer,
        service,
    ):
        wait_until(lambda: events_in(log, "waiting for database"), timeout=20)
        upgrade(service.migrations, database_url, service.metadata)
        wait_until(lambda: any(line["msg"] == "mailer started" for line in log_lines(log)), 40)
        mailer.send_signal(signal.SIGTERM)
        assert mailer.wait(timeout=15) == 0
    assert not events_in(log, "waiting for broker")


def test_a_web_process_started_before_its_database_is_alive_and_not_ready_until_it_is(
    later_database: tuple[str, Callable[[], None]],
) -> None:
    """gunicorn does not wait (its workers would time out): /healthz answers at once,
    /readyz is 503 naming the database, then 200 once the database is there."""
    database_url, create_database = later_database
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = matching_bootstrap(ServiceConfig(service="matching", database_url=database_url))
    web = web_process(service, "matching.entrypoints.web:create_app()", port)
    try:
        wait_until(lambda: http_status(f"{base}/healthz") == 200, timeout=30, interval=0.2)
        not_ready = requests.get(f"{base}/readyz", timeout=5)
        assert not_ready.status_code == 503
        assert "database" in not_ready.json()["detail"]
        create_database()
        upgrade(service.migrations, database_url, service.metadata)
        wait_until(lambda: http_status(f"{base}/readyz") == 200, timeout=30, interval=0.2)
    finally:
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
        service.engine.dispose()


@pytest.mark.parametrize(
    ("service", "command", "variable", "value"),
    [
        ("matching", "worker", "INTERNAL_TOKEN", "dev-internal-token"),
        ("events", "relay", "LINK_SECRET", "dev-link-secret"),
        ("notifications", "mailer", "LINK_SECRET", "change-me-links"),
        ("gateway", "migrate", "ADMIN_TOKEN", "dev-admin-token"),
    ],
)
def test_a_process_given_a_published_secret_refuses_to_start(
    tmp_path: Path, service: str, command: str, variable: str, value: str
) -> None:
    """Outside `make run` (which makes its own), a process on a default that was ever
    published exits 1 before touching its database, its last line naming the variable."""
    log = tmp_path / f"{service}.log"
    database = f"sqlite:///{tmp_path / 'never-made.db'}"
    process = start(
        service, command, log, **{f"{service.upper()}_DATABASE_URL": database, variable: value}
    )
    assert process.wait(timeout=60) == 1
    assert variable in log.read_text().strip().splitlines()[-1]
    assert not (tmp_path / "never-made.db").exists()


def test_a_web_process_given_a_published_secret_does_not_serve(
    make_service: Callable[..., Service],
) -> None:
    """gunicorn's worker cannot build the app, so gunicorn stops instead of serving with a
    credential anyone can read in this repository's history."""
    from gateway.bootstrap import bootstrap as gateway_bootstrap
    from gateway.config import GatewayConfig

    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    port = free_port()
    app = "gateway.entrypoints.web:create_app()"
    web = web_process(gateway, app, port, ADMIN_TOKEN="dev-admin-token")
    try:
        assert web.wait(timeout=60) != 0
    finally:
        if web.poll() is None:
            web.kill()
    assert http_status(f"http://127.0.0.1:{port}/healthz") == 0


def test_a_cluster_url_is_ready_when_any_of_its_nodes_answers(amqp_url: str) -> None:
    """AMQP_URL may list a cluster's nodes (';' between them): the first refusing its port
    does not make the broker count as away while the next one answers."""
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    assert preflight.broker_problem(closed, timeout=2) is not None
    assert preflight.broker_problem(f"{closed};{amqp_url}", timeout=5) is None
