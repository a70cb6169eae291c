"""What the system's figures are compared with: raw broker, raw SMTP, bare Flask."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pika
import psycopg
import requests
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import wait_until

from bench.bare_app import TABLE


def timed(action: Callable[[], object], times: int) -> list[float]:
    """Seconds each of `times` runs of `action` took."""
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def broker_round_trips(amqp_url: str, times: int) -> list[float]:
    """pika, the RabbitMQ team's client: publish one persistent message with a confirm into a
    durable quorum queue and consume it, once per sample."""
    parts = urlsplit(amqp_url)
    params = pika.ConnectionParameters(
        host=parts.hostname or "localhost",
        port=parts.port or 5672,
        virtual_host=unquote(parts.path[1:]) or "/",
        credentials=pika.PlainCredentials(parts.username or "guest", parts.password or "guest"),
    )
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.confirm_delivery()
    queue = f"bench.{uuid.uuid4().hex[:8]}"
    channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    consumer = channel.consume(queue, inactivity_timeout=5)

    def round_trip() -> None:
        channel.basic_publish("", queue, b'{"volunteer_id": "x"}', props)
        method, _, _ = next(consumer)
        channel.basic_ack(method.delivery_tag)

    try:
        return timed(round_trip, times)
    finally:
        channel.cancel()
        channel.queue_delete(queue)
        connection.close()


def smtp_sends(port: int, times: int) -> list[float]:
    """smtplib: one connection, one multipart message, QUIT; once per sample."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Welcome", "a@bench.test", "b@bench.test"
    message.set_content("Dear Amina,\n" * 20)
    message.add_alternative("<p>Dear Amina,</p>" * 20, subtype="html")

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)

    return timed(send, times)


@dataclass(frozen=True)
class Served:
    """A web app under gunicorn: its base URL and its master's process id."""

    base: str
    master: int

    def worker(self) -> int:
        """The process id of its one worker."""
        found = subprocess.run(["pgrep", "-P", str(self.master)], capture_output=True, text=True)
        return int(found.stdout.split()[0])


@contextmanager
def gunicorn_serving(root: Path, app: str, ready: str, **env: str) -> Iterator[Served]:
    """`app` ("module:factory()") under gunicorn with one worker and sanctuary.serving's
    settings, like each web process of `make run`; yields where it is once a GET of `ready`
    answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *("-c", "python:sanctuary.serving"),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--workers",
            "1",
            app,
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env, "PYTHONPATH": str(root)},
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(base + ready, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(up, timeout=30)
        yield Served(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


@contextmanager
def bare_flask(root: Path, app: str = "create_app()", **env: str) -> Iterator[str]:
    """A bare Flask app of bench.bare_app (`app`, its factory) served like each web process of
    `make run`; yields the URL of its one POST view."""
    with gunicorn_serving(root, f"bench.bare_app:{app}", "/up", **env) as served:
        yield f"{served.base}/echo"


@contextmanager
def durable_flask(root: Path) -> Iterator[str]:
    """The durable bare app (bench.bare_app.create_durable_app) on a private PostgreSQL
    database of its own (TEST_POSTGRES_URL), made and dropped."""
    from sanctuary_dev.servers import DEFAULT_TEST_POSTGRES_URL, private_database

    admin = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    with private_database(admin, "bench") as url:
        libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(TABLE)
        with bare_flask(root, "create_durable_app()", BENCH_DATABASE_URL=libpq) as app_url:
            yield app_url
