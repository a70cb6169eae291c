"""What an operator (and Prometheus, and Kubernetes) can see of every process type: health and
readiness of each web process, the metrics port and the probe command of every other one.

Real: RabbitMQ (a private vhost), PostgreSQL (private databases), each web app as gunicorn
builds it, and the other processes as production starts them (`python -m <service> <type>`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from events.bootstrap import bootstrap as events_bootstrap
from events.entrypoints.web import create_app as create_events
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from gateway.entrypoints.web import create_app as create_gateway
from matching.bootstrap import bootstrap as matching_bootstrap
from matching.entrypoints.web import create_app as create_matching
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.config import NotificationsConfig
from notifications.entrypoints.web import create_app as create_notifications
from sanctuary import metrics
from sanctuary.config import ServiceConfig
from sanctuary.runtime import Service
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.messages import signed_up
from sanctuary_dev.processes import http_status, wait_until, web_process

pytestmark = pytest.mark.integration

SERVICES: dict[str, tuple[Callable[..., Service], Callable[..., Any], type]] = {
    "gateway": (gateway_bootstrap, create_gateway, GatewayConfig),
    "matching": (matching_bootstrap, create_matching, ServiceConfig),
    "events": (events_bootstrap, create_events, ServiceConfig),
    "notifications": (notifications_bootstrap, create_notifications, NotificationsConfig),
}
# Every process type that is not a web process (the Procfile's lines), by service.
PROCESSES = [
    ("gateway", "relay"),
    ("matching", "worker"),
    ("matching", "clock"),
    ("events", "clock"),
    ("notifications", "mailer"),
]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_web_process_answers_health_and_readiness_and_no_metrics(
    name: str, make_service: Callable[..., Service]
) -> None:
    """/healthz 200; /readyz 200 on a database that answers; the requests just made are
    counted, but /metrics is not on the application's port (issue 16: it showed sign-ins)."""
    bootstrap, create_app, config_type = SERVICES[name]
    service = make_service(bootstrap, name, config_type)
    app = create_app(service.config)
    client = app.test_client()
    try:
        assert (client.get("/healthz").status_code, client.get("/healthz").json) == (
            200,
            {"status": "ok"},
        )
        ready = client.get("/readyz")
        assert (ready.status_code, ready.json) == (200, {"status": "ready", "broker": "ok"})
        assert client.get("/metrics").status_code == 404
        body, content_type = metrics.exposition()
        assert content_type.startswith("text/plain")
        assert (
            f'sanctuary_http_requests_total{{method="GET",route="/readyz",service="{name}",'
            'status="200"}'
        ) in body.decode()
    finally:
        app.extensions["service"].engine.dispose()


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_web_process_is_not_ready_while_its_database_is_away(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """/readyz 503 as a problem document naming the database, and a log line with the
    reason; /healthz still 200, so the orchestrator holds traffic back rather than
    restarting the process."""
    _, create_app, config_type = SERVICES[name]
    app = create_app(
        config_type(service=name, database_url="postgresql+psycopg://postgres@127.0.0.1:1/x")
    )
    client = app.test_client()
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.content_type == "application/problem+json"
        assert "database" in ready.json["detail"]
        assert client.get("/healthz").status_code == 200
    finally:
        app.extensions["service"].engine.dispose()
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    [line] = [entry for entry in logged if entry.get("event") == "waiting for database"]
    assert line["reason"].startswith("OperationalError")
    assert "refused" in line["reason"]


def environment(service: Service, **extra: str) -> dict[str, str]:
    config = service.config
    return {
        **os.environ,
        f"{config.service.upper()}_DATABASE_URL": config.database_url,
        "AMQP_URL": config.amqp_url,
        "RETRY_DELAYS_MS": ",".join(map(str, config.retry_delays_ms)),
        **extra,
    }


@contextmanager
def process(service: Service, command: str, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m <service> <command>`, stopped with SIGTERM at the end (exit 0 expected)."""
    running = subprocess.Popen(
        [sys.executable, "-m", service.config.service, command],
        env=environment(service, **extra),
        stderr=subprocess.DEVNULL,
    )
    try:
        yield running
    finally:
        running.send_signal(signal.SIGTERM)
        assert running.wait(timeout=20) == 0


def scrape(port: int, needle: str) -> str:
    """The metrics page on `port` once it shows `needle`, else ""."""
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
    except requests.RequestException:  # not serving yet
        return ""
    return text if needle in text else ""


@pytest.mark.parametrize(("name", "command"), PROCESSES)
def test_every_other_process_serves_metrics_on_its_port_and_passes_its_probe(
    name: str, command: str, make_service: Callable[..., Service]
) -> None:
    """METRICS_PORT serves Prometheus' format, showing the process past its start-up wait;
    `python -m <service> probe` (the Kubernetes probe) exits 0 beside it."""
    bootstrap, _, config_type = SERVICES[name]
    service = make_service(bootstrap, name, config_type)
    port = free_port()
    started = f'sanctuary_waiting_for_dependency{{dependency="database",service="{name}"}} 0.0'
    with process(service, command, METRICS_PORT=str(port)):
        assert wait_until(lambda: scrape(port, started), timeout=20)
        probe = subprocess.run(
            [sys.executable, "-m", name, "probe"],
            env=environment(service),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert (probe.returncode, probe.stdout.strip()) == (0, "ok")


def test_a_relay_keeps_reporting_its_lag_while_the_broker_is_away(
    make_service: Callable[..., Service], broker_base_url: str
) -> None:
    """The outbox lag is what the 'relay not publishing' alert reads: it must keep moving
    while the relay cannot publish, not freeze at its last value."""

    from sanctuary_dev.servers import private_vhost

    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    port = free_port()
    with private_vhost(broker_base_url) as amqp_url:
        running = subprocess.Popen(
            [sys.executable, "-m", "gateway", "relay"],
            env=environment(gateway, AMQP_URL=amqp_url, METRICS_PORT=str(port)),
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: scrape(port, 'sanctuary_outbox_unsent{service="gateway"} 0.0'), 20)
    # The vhost is gone: the relay's connection is closed and it cannot reconnect.
    try:
        with gateway.unit_of_work() as uow:
            for _ in range(3):
                uow.publish(signed_up())
        assert wait_until(
            lambda: scrape(port, 'sanctuary_outbox_unsent{service="gateway"} 3.0'), timeout=30
        )
    finally:
        running.send_signal(signal.SIGTERM)
        assert running.wait(timeout=20) == 0


def test_one_scrape_of_a_two_worker_web_process_counts_the_requests_of_both(
    make_service: Callable[..., Service], tmp_path: Any
) -> None:
    """gunicorn with two workers, as compose and Kubernetes run it: its master serves on
    METRICS_PORT what both workers counted (prometheus-client's multiprocess mode, in a folder
    sanctuary.serving makes when PROMETHEUS_MULTIPROC_DIR is unset), the same total in every
    scrape; the application's port serves no metrics."""
    matching = make_service(matching_bootstrap, "matching")
    port, metrics_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    app = "matching.entrypoints.web:create_app()"
    web = web_process(matching, app, port, METRICS_PORT=str(metrics_port))
    try:
        wait_until(lambda: http_status(f"{base}/healthz") == 200, timeout=30, interval=0.2)
        with requests.Session() as session:
            for _ in range(40):
                session.get(f"{base}/healthz", timeout=5)
        assert http_status(f"{base}/metrics") == 404
        scraped = f"http://127.0.0.1:{metrics_port}/metrics"
        counts = {healthz_count(requests.get(scraped, timeout=5).text) for _ in range(10)}
    finally:
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    [count] = counts  # the same total in every scrape
    assert count >= 40


def healthz_count(text: str) -> float:
    [line] = [
        line
        for line in text.splitlines()
        if line.startswith("sanctuary_http_requests_total{") and 'route="/healthz"' in line
    ]
    return float(line.rsplit(" ", 1)[1])
