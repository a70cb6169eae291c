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
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pika
import requests
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import wait_until


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


@contextmanager
def bare_flask(root: Path) -> Iterator[str]:
    """The bare Flask app under gunicorn with one worker and sanctuary.serving's settings,
    like each web process of `make run`."""
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
            "bench.bare_app:create_app()",
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    url = f"http://127.0.0.1:{port}/echo"

    def up() -> bool:
        try:
            return requests.post(url, json={}, timeout=1).status_code == 202
        except requests.RequestException:
            return False

    try:
        wait_until(up, timeout=30)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
