"""Rate limits and sign-in slow-downs survive the web process's workers being killed
(issue 16, point 3): without REDIS_URL they live in the gateway's database, here PostgreSQL,
under gunicorn as production runs it (sanctuary.serving, two workers)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable

import pytest
import requests
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from sanctuary.runtime import Service
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import http_status, wait_until, web_process

pytestmark = pytest.mark.integration


def workers_of(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_killing_every_worker_forgets_no_limit(make_service: Callable[..., Service]) -> None:
    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = "gateway.entrypoints.web:create_app()"
    web = web_process(gateway, app, port, PUBLIC_RATE_LIMIT="3/minute", COOKIE_SECURE="false")
    try:
        wait_until(lambda: http_status(f"{base}/healthz") == 200, timeout=30, interval=0.1)
        posts = [requests.post(f"{base}/api/v1/volunteers", json={}, timeout=5) for _ in range(4)]
        assert [p.status_code for p in posts] == [422, 422, 422, 429]
        before = workers_of(web.pid)
        assert len(before) == 2
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(set(workers_of(web.pid)) - set(before)) == 2, timeout=30)
        wait_until(lambda: http_status(f"{base}/healthz") == 200, timeout=30, interval=0.1)
        again = requests.post(f"{base}/api/v1/volunteers", json={}, timeout=5)
        assert again.status_code == 429
        assert int(again.headers["Retry-After"]) > 0
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
