"""Slow clients cannot stop a web process, and metrics are served only where configured
(issue 16, points 2 and 9).

Real: the gateway under gunicorn with sanctuary.serving, as the Procfile, compose and
Kubernetes start it; its database is a migrated PostgreSQL one; raw sockets play the slow
clients. Under a sync worker the first test fails: /healthz waits behind the slow heads.
"""

from __future__ import annotations

import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
import requests
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from sanctuary.runtime import Service
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import http_status, wait_until, web_process

pytestmark = pytest.mark.integration

APP = "gateway.entrypoints.web:create_app()"
# A request whose head never ends: no blank line after the last header.
UNFINISHED_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@contextmanager
def gateway_web(
    make_service: Callable[..., Service], **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The gateway's web process (two workers) on a free port, stopped afterwards."""
    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    port = free_port()
    web = web_process(gateway, APP, port, **env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_status(f"{base}/healthz") == 200, timeout=30, interval=0.1)
        yield base, web
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)


def slow_client(base: str, stack: ExitStack) -> socket.socket:
    """A connection that sends part of a request's head and then nothing."""
    host, port = base.removeprefix("http://").split(":")
    conn = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
    conn.sendall(UNFINISHED_HEAD)
    return conn


def test_ten_slow_clients_do_not_keep_healthz_waiting(
    make_service: Callable[..., Service],
) -> None:
    """Ten connections hold unfinished heads (more than the two workers); /healthz still
    answers, each time in well under 100 ms, while they are all still open."""
    with gateway_web(make_service) as (base, _), ExitStack() as stack:
        slow = [slow_client(base, stack) for _ in range(10)]
        time.sleep(0.3)  # every one accepted and waiting in a worker
        seconds = []
        with requests.Session() as session:
            for _ in range(20):
                started = time.perf_counter()
                assert session.get(f"{base}/healthz", timeout=5).status_code == 200
                seconds.append(time.perf_counter() - started)
        assert statistics.median(seconds) < 0.1, seconds
        assert max(seconds) < 1, seconds
        for conn in slow:  # still open: the server has not answered or closed them yet
            conn.setblocking(False)
            with pytest.raises(BlockingIOError):
                conn.recv(1)


def test_a_head_that_never_ends_is_closed_after_the_header_time(
    make_service: Callable[..., Service],
) -> None:
    """WEB_HEADER_SECONDS: the connection is closed unanswered, not held for ever."""
    with gateway_web(make_service, WEB_HEADER_SECONDS="1") as (base, _), ExitStack() as stack:
        conn = slow_client(base, stack)
        started = time.perf_counter()
        assert conn.recv(1024) == b""  # closed by the server
        assert time.perf_counter() - started < 5


def test_a_body_that_stops_coming_is_answered_408(make_service: Callable[..., Service]) -> None:
    """WEB_READ_SECONDS: a POST that promised 200 bytes and sent 20 gets 408, not a worker
    stuck on it."""
    with gateway_web(make_service, WEB_READ_SECONDS="1") as (base, _), ExitStack() as stack:
        host, port = base.removeprefix("http://").split(":")
        conn = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
        conn.sendall(
            b"POST /api/v1/volunteers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
            b'{"name": "Amina", "em'
        )
        started = time.perf_counter()
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"did not arrive in time" in answer
        assert time.perf_counter() - started < 5


def test_the_web_metrics_are_only_on_the_metrics_port_bound_as_configured(
    make_service: Callable[..., Service],
) -> None:
    """No /metrics on the gateway's port; METRICS_BIND_HOST 127.0.0.2 serves them there and
    not on 127.0.0.1 (before, the port was bound on every address)."""
    metrics_port = free_port()
    env = {"METRICS_PORT": str(metrics_port), "METRICS_BIND_HOST": "127.0.0.2"}
    with gateway_web(make_service, **env) as (base, _):
        assert http_status(f"{base}/metrics") == 404
        scraped = requests.get(f"http://127.0.0.2:{metrics_port}/metrics", timeout=5)
        assert "sanctuary_http_requests_total" in scraped.text
        assert http_status(f"http://127.0.0.1:{metrics_port}/metrics") == 0  # refused


def test_a_relay_binds_its_metrics_port_as_configured(
    make_service: Callable[..., Service],
) -> None:
    """Workers, relays, clocks and the mailer bind METRICS_BIND_HOST too (WEB_BIND_HOST, or
    loopback, when it is unset), never every address."""
    import os

    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.config.database_url,
        "AMQP_URL": gateway.config.amqp_url,
        "METRICS_PORT": str(port),
        "WEB_BIND_HOST": "127.0.0.3",
    }
    relay = subprocess.Popen(
        [sys.executable, "-m", "gateway", "relay"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        assert wait_until(lambda: http_status(f"http://127.0.0.3:{port}/metrics") == 200, 20)
        assert http_status(f"http://127.0.0.1:{port}/metrics") == 0
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=30)
