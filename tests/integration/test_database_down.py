"""The database going away and coming back (issue 17, faults, trial 4 in short): the gateway
answers a clear 503 with Retry-After, quickly (not a hang, not a 500), to the API and to a
page, and serves again once the database is back, with no restart.

Real: the gateway under gunicorn as production runs it, on a PostgreSQL database reached
through a TCP proxy the test cuts and restores (the machine's server is never stopped)."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable

import pytest
import requests
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from sanctuary.runtime import Service
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import http_status, wait_until, web_process
from sanctuary_dev.proxy import TcpProxy
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration

SIGN_UP = {
    "name": "Amal",
    "email": "amal@example.org",
    "postcode": "LS6 1AA",
    "availability": [{"day": "sat", "part": "morning"}],
    "consent": True,
}


def test_the_gateway_answers_503_while_its_database_is_away_then_recovers(
    make_service: Callable[..., Service],
) -> None:
    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    real = make_url(gateway.config.database_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxied = real.set(host="127.0.0.1", port=proxy.port)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "GATEWAY_DATABASE_URL": proxied.render_as_string(hide_password=False),
        "PUBLIC_RATE_LIMIT": "",
        "COOKIE_SECURE": "false",
    }
    web = web_process(gateway, "gateway.entrypoints.web:create_app()", port, **env)
    try:
        wait_until(lambda: http_status(f"{base}/readyz") == 200, timeout=30, interval=0.1)
        first = requests.post(f"{base}/api/v1/volunteers", json=SIGN_UP, timeout=10)
        assert first.status_code == 202
        proxy.cut()
        started = time.perf_counter()
        down = requests.post(f"{base}/api/v1/volunteers", json=SIGN_UP, timeout=10)
        assert (down.status_code, down.headers.get("Retry-After")) == (503, "5")
        assert down.headers["Content-Type"] == "application/problem+json"
        assert "database" in down.json()["detail"]
        assert time.perf_counter() - started < 6  # refused at once, or given up after 5 s
        status = requests.get(f"{base}/api/v1/volunteers/{first.json()['id']}", timeout=10)
        assert status.status_code == 503
        assert "database" in status.json()["detail"]  # not the matching service (not running)
        page = requests.get(
            f"{base}/registrations/{uuid.uuid4()}", headers={"Accept": "text/html"}, timeout=10
        )
        assert (page.status_code, page.headers.get("Retry-After")) == (503, "5")
        assert "text/html" in page.headers["Content-Type"]
        assert http_status(f"{base}/readyz") == 503
        proxy.restore()
        again = requests.post(f"{base}/api/v1/volunteers", json=SIGN_UP, timeout=10)
        assert again.status_code == 202
        unknown = f"{base}/registrations/{uuid.uuid4()}"
        assert requests.get(unknown, headers={"Accept": "text/html"}, timeout=10).status_code == 404
        assert http_status(f"{base}/readyz") == 200
    finally:
        proxy.cut()
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
