"""Helpers for the tests of every service: real brokers and databases, made and thrown away.

Where this machine runs RabbitMQ and PostgreSQL (AMQP_URL, TEST_POSTGRES_URL), each test gets
its own RabbitMQ vhost and its own databases on them; where it does not but a Docker engine is
reachable, testcontainers starts them.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from kombu import Connection, Producer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

T = TypeVar("T")

# Short delays so that retry tests take a second, not ten minutes.
TEST_RETRY_DELAYS_MS = (200, 400, 800)
DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def wait_until(probe: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll `probe` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {probe}")
        time.sleep(interval)


@contextmanager
def private_vhost(base_url: str) -> Iterator[str]:
    """A fresh RabbitMQ vhost on the local broker, deleted afterwards; yields its AMQP URL."""
    if shutil.which("rabbitmqctl") is None:
        raise RuntimeError("rabbitmqctl is needed to make a private vhost on the local broker")
    name = f"sanctuary-test-{uuid.uuid4().hex[:12]}"
    parts = urlsplit(base_url)
    user = parts.username or "guest"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    try:
        yield urlunsplit(parts._replace(path="/" + quote(name, safe="")))
    finally:
        subprocess.run(
            ["rabbitmqctl", "-q", "delete_vhost", name], check=False, capture_output=True
        )


class VhostPool:
    """Private vhosts made ahead in batches and thrown away in batches.

    Each `rabbitmqctl` call starts an Erlang VM (about 0.3 s), and three calls for every
    test were most of the integration suite's time. One `rabbitmqctl eval` makes or deletes
    a whole batch; deletions run in the background while the tests go on.
    """

    def __init__(self, base_url: str, batch: int = 16) -> None:
        if shutil.which("rabbitmqctl") is None:
            raise RuntimeError("rabbitmqctl is needed to make private vhosts on the local broker")
        self.parts = urlsplit(base_url)
        self.user = self.parts.username or "guest"
        self.batch = batch
        self.ready: list[str] = []
        self.used: list[str] = []
        self.deleting: list[subprocess.Popen[bytes]] = []

    def take(self) -> str:
        """A fresh, empty vhost's AMQP URL; give its name back with `give_back`."""
        if not self.ready:
            names = [f"sanctuary-test-{uuid.uuid4().hex[:12]}" for _ in range(self.batch)]
            subprocess.run(
                ["rabbitmqctl", "-q", "eval", self._made(names)], check=True, capture_output=True
            )
            self.ready = names
        return urlunsplit(self.parts._replace(path="/" + quote(self.ready.pop(), safe="")))

    def give_back(self, url: str) -> None:
        """Done with this vhost: it is deleted with the next batch."""
        self.used.append(urlsplit(url).path.lstrip("/"))
        if len(self.used) >= self.batch:
            self.deleting.append(
                subprocess.Popen(
                    ["rabbitmqctl", "-q", "eval", self._deleted(self.used)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            self.used = []

    def close(self) -> None:
        """Delete every vhost this pool made."""
        leftover = self.used + self.ready
        self.used, self.ready = [], []
        if leftover:
            subprocess.run(
                ["rabbitmqctl", "-q", "eval", self._deleted(leftover)],
                check=False,
                capture_output=True,
            )
        for process in self.deleting:
            process.communicate()

    def _made(self, names: list[str]) -> str:
        return (
            'lists:foreach(fun(N) -> ok = rabbit_vhost:add(N, <<"tests">>), '
            f'ok = rabbit_auth_backend_internal:set_permissions(<<"{self.user}">>, N, '
            '<<".*">>, <<".*">>, <<".*">>, <<"tests">>) end, '
            f"{self._binaries(names)}), ok."
        )

    def _deleted(self, names: list[str]) -> str:
        return (
            'lists:foreach(fun(N) -> rabbit_vhost:delete(N, <<"tests">>) end, '
            f"{self._binaries(names)}), ok."
        )

    @staticmethod
    def _binaries(names: list[str]) -> str:
        # Names are ours (letters, digits, dashes): nothing to escape.
        return "[" + ", ".join(f'<<"{name}">>' for name in names) + "]"


@contextmanager
def private_database(admin_url: str, service: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one service, dropped afterwards; yields its URL."""
    name = f"t_{uuid.uuid4().hex[:10]}_{service}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def publish_raw(
    amqp_url: str,
    routing_key: str,
    body: bytes | str,
    *,
    exchange: str = "sanctuary",
    **properties: Any,
) -> None:
    """Publish exactly these bytes and properties, confirmed: for tests of bad messages."""
    from sanctuary import topology

    with Connection(amqp_url, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        topology.declare_all(channel, TEST_RETRY_DELAYS_MS)
        Producer(channel).publish(
            body, exchange=exchange, routing_key=routing_key, retry=False, **properties
        )


@contextmanager
def running_worker(
    service: Any,
    handlers: Any = None,
    batch_size: int | None = None,
    wait_seconds: float | None = None,
) -> Iterator[Any]:
    """Run `service`'s worker in a thread for the block; `handlers` replace some of its own.
    Batches of `batch_size` (else the configuration's WORKER_BATCH), each waiting at most
    `wait_seconds` to fill (else the worker's own 15 ms)."""
    import threading

    from sanctuary.consumer import Worker
    from sanctuary.envelope import connect

    config = service.config
    worker = Worker(
        connect(config.amqp_url, heartbeat=30),
        service=config.service,
        handlers={**service.handlers, **(handlers or {})},
        sessions=service.sessions,
        inbox_model=service.inbox_model,
        outbox_model=service.outbox_model,
        retry_delays_ms=config.retry_delays_ms,
        prefetch=config.prefetch,
        batch_size=batch_size or config.worker_batch,
    )
    if wait_seconds is not None:
        worker.batch_wait_seconds = wait_seconds
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.should_stop = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "the worker did not stop"
        worker.producer_connection.release()
        worker.connection.release()


@contextmanager
def running_relay(service: Any) -> Iterator[Any]:
    """Run `service`'s relay in a thread for the block."""
    import threading

    from sanctuary.envelope import connect
    from sanctuary.outbox import Relay

    config = service.config
    relay = Relay(
        service.sessions,
        service.outbox_model,
        connect(config.amqp_url),
        app_id=config.service,
        retry_delays_ms=config.retry_delays_ms,
        poll_seconds=config.relay_poll_seconds,
    )
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        relay.stopping.set()
        thread.join(timeout=10)
        relay.connection.release()


def queue_messages(amqp_url: str, queue: str) -> list[Any]:
    """Take every message now in `queue` (acking them): what a test asserts on."""
    from kombu import Queue

    taken = []
    with Connection(amqp_url) as connection:
        bound = Queue(queue, no_declare=True)(connection.channel())
        while (message := bound.get(no_ack=True)) is not None:
            taken.append(message)
    return taken


def signed_up(**overrides: Any) -> Any:
    """A valid volunteer.signed_up message; override any field."""
    from datetime import UTC, datetime

    from sanctuary.contracts import VolunteerSignedUp

    fields = {
        "volunteer_id": uuid.uuid4(),
        "name": "Test Volunteer",
        "email": "volunteer@example.org",
        "postcode": "LS6 1AA",
        "languages": ("en", "ar"),
        "consented_at": datetime.now(UTC),
    }
    return VolunteerSignedUp(**{**fields, **overrides})


def registered(**overrides: Any) -> Any:
    """A valid volunteer.registered message; override any field."""
    from sanctuary.contracts import VolunteerRegistered

    fields = {
        "volunteer_id": uuid.uuid4(),
        "name": "Test Volunteer",
        "email": "volunteer@example.org",
        "status": "applied",
    }
    return VolunteerRegistered(**{**fields, **overrides})


def requested(**overrides: Any) -> Any:
    """A valid newcomer.requested message, referred by a support worker; override any field."""
    from datetime import UTC, datetime

    from sanctuary.contracts import NewcomerRequested

    fields = {
        "newcomer_id": uuid.uuid4(),
        "name": "Yonas",
        "email": None,
        "referrer_email": "worker@charity.example",
        "postcode": "LS7 2AB",
        "languages": ("ti",),
        "wants_english_practice": True,
        "needs": (),
        "interests": (),
        "availability": (("sat", "morning"),),
        "gender": None,
        "same_gender_only": False,
        "needs_dbs": False,
        "consented_at": datetime.now(UTC),
    }
    return NewcomerRequested(**{**fields, **overrides})


def schedule_cafe(client: Any, headers: dict[str, str]) -> str:
    """A social event a week ahead with two places, scheduled through the gateway's
    coordinator API by `client` (a Flask test client); its id."""
    from datetime import UTC, datetime, timedelta

    starts = datetime.now(UTC) + timedelta(days=7)
    scheduled = client.post(
        "/api/v1/events",
        headers=headers,
        json={
            "title": "Conversation café",
            "kind": "social",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 2,
            "location": "Library",
        },
    )
    assert scheduled.status_code == 201, scheduled.json
    return str(scheduled.json["id"])


def publish_message(amqp_url: str, message: Any, *, message_id: str | None = None) -> str:
    """Publish a contract message with the full envelope, as a relay would; returns its id."""
    [published] = publish_messages(amqp_url, [message], message_ids=[message_id])
    return published


def publish_messages(
    amqp_url: str,
    messages: Iterable[Any],
    *,
    message_ids: Iterable[str | None] = (),
    app_id: str = "test",
) -> list[str]:
    """Publish contract messages over one connection, each with the full envelope and a
    confirm, as a relay would; returns their ids (new ones where `message_ids` gives none)."""
    import itertools
    import json

    from sanctuary import contracts, envelope, topology

    published = []
    with envelope.connect(amqp_url) as connection:
        channel = connection.channel()
        topology.declare_all(channel, TEST_RETRY_DELAYS_MS)
        producer = Producer(channel)
        ids = itertools.chain(message_ids, itertools.repeat(None))
        for message, given_id in zip(messages, ids, strict=False):  # ids never run out
            message_type, body = contracts.dump(message)
            env = envelope.Envelope(
                message_id=given_id or envelope.new_message_id(),
                type=message_type,
                correlation_id=str(uuid.uuid4()),
                app_id=app_id,
                timestamp=envelope.now_timestamp(),
                schema_version=contracts.schema_version(message_type),
                body=json.dumps(body).encode(),
            )
            envelope.publish(
                producer, env, exchange=topology.EXCHANGE_NAME, routing_key=message_type
            )
            published.append(env.message_id)
    return published


@contextmanager
def running_system(
    root: Path, amqp_url: str, var_dir: Path, smtp_port: int, **env: str
) -> Iterator[str]:
    """The whole system as `make run` starts it (scripts/run), on free ports, mailing to
    127.0.0.1:`smtp_port`; yields the gateway's base URL and stops it all with Ctrl-C (SIGINT)."""
    import os
    import signal
    import sys

    import requests

    from sanctuary.mailsink import free_port

    chosen: set[int] = {smtp_port}
    while len(chosen) < 5:  # four distinct web ports, none the mail sink's
        chosen.add(free_port())
    names = ("GATEWAY_PORT", "MATCHING_PORT", "EVENTS_PORT", "NOTIFICATIONS_PORT")
    ports = dict(zip(names, map(str, sorted(chosen - {smtp_port})), strict=True))
    full_env = {
        **os.environ,
        **ports,
        "AMQP_URL": amqp_url,
        "VAR_DIR": str(var_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        **env,
    }
    var_dir.mkdir(parents=True, exist_ok=True)
    log = (var_dir / "run.log").open("wb")
    process = subprocess.Popen(
        [str(root / "scripts" / "run")],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    gateway = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"

    def ready() -> bool:
        assert process.poll() is None, f"scripts/run ended early; see {var_dir / 'run.log'}"
        try:
            return requests.get(f"{gateway}/readyz", timeout=1).status_code == 200
        except requests.RequestException:  # not listening yet, or still booting its worker
            return False

    try:
        wait_until(ready, timeout=60, interval=0.2)
        yield gateway
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            log.close()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            else:
                raise AssertionError("processes were still running after Ctrl-C")


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve a service's Flask app on a free port, a thread per request; yields its base URL
    and disposes of the app's engine afterwards."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["service"].engine.dispose()


def worker_processes(service: Any, how_many: int, **env: str) -> list[subprocess.Popen[bytes]]:
    """`python -m <service> worker` processes on the service's database and vhost."""
    import os
    import sys

    config = service.config
    full_env = {
        **os.environ,
        f"{config.service.upper()}_DATABASE_URL": config.database_url,
        "AMQP_URL": config.amqp_url,
        "LINK_SECRET": config.link_secret,
        "RETRY_DELAYS_MS": ",".join(map(str, config.retry_delays_ms)),
        **env,
    }
    return [
        subprocess.Popen(
            [sys.executable, "-m", config.service, "worker"],
            env=full_env,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(how_many)
    ]


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM each process and return their exit codes."""
    import signal

    for process in processes:
        process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=30) for process in processes]


def web_process(service: Any, app: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    """`app` under gunicorn as docker-compose and Kubernetes run it (two sync workers), on
    127.0.0.1:`port`, with the service's database and broker."""
    import os
    import sys

    config = service.config
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            app,
        ],
        env={
            **os.environ,
            f"{config.service.upper()}_DATABASE_URL": config.database_url,
            "AMQP_URL": config.amqp_url,
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def http_status(url: str) -> int:
    """The status of GET `url`, or 0 while nothing answers there."""
    import requests

    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:  # not listening yet
        return 0
