"""Prometheus metrics, defined once for every process of every service.

Every process serves them on METRICS_BIND_HOST:METRICS_PORT when METRICS_PORT is set, never
on an application's port (a scrape shows sign-in counts and times). A web process's gunicorn
master serves all its workers' figures at once (sanctuary.serving: prometheus-client's
multiprocess mode).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

HTTP_REQUESTS = Counter(
    "sanctuary_http_requests_total",
    "HTTP requests answered.",
    ["service", "route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "sanctuary_http_request_seconds",
    "Time to answer an HTTP request.",
    ["service", "route"],
)
MESSAGES = Counter(
    "sanctuary_messages_total",
    "Messages handled by a worker, by outcome (applied, duplicate, retried, parked).",
    ["service", "type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "sanctuary_handler_seconds",
    "Time to apply one message, commit included.",
    ["service", "type"],
)
OUTBOX_UNSENT = Gauge(
    "sanctuary_outbox_unsent",
    "Outbox rows not yet published.",
    ["service"],
    multiprocess_mode="max",
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "sanctuary_outbox_oldest_unsent_seconds",
    "Age of the oldest unpublished outbox row.",
    ["service"],
    multiprocess_mode="max",
)
ERASURES_PENDING = Gauge(
    "sanctuary_erasures_pending",
    "Erasures asked for that some service has not yet answered.",
    ["service"],
    multiprocess_mode="max",
)
ERASURE_OLDEST_PENDING_SECONDS = Gauge(
    "sanctuary_erasure_oldest_pending_seconds",
    "Age of the oldest erasure not yet complete in every service (0 when none is pending).",
    ["service"],
    multiprocess_mode="max",
)
EMAILS = Counter(
    "sanctuary_emails_total",
    "Emails tried by the mailer, by outcome (sent, retrying, failed).",
    ["service", "outcome"],
)
SMTP_DOWN = Gauge(
    "sanctuary_smtp_down",
    "1 while a mailer takes its SMTP server as down and probes it instead of sending batches.",
    ["service"],
    multiprocess_mode="livemax",
)

WAITING = Gauge(
    "sanctuary_waiting_for_dependency",
    "1 while a starting process waits for its database or broker (see STARTUP_WAIT_SECONDS).",
    ["service", "dependency"],
    multiprocess_mode="livemax",
)


@contextmanager
def waiting(service: str, dependency: str) -> Iterator[None]:
    """Show WAITING as 1 for the block: a process stuck at start is visible to alerts."""
    gauge = WAITING.labels(service, dependency)
    gauge.set(1)
    try:
        yield
    finally:
        gauge.set(0)


def exposition() -> tuple[bytes, str]:
    """This process's metrics in Prometheus' text format."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(host: str, port: int | None) -> None:
    """Serve /metrics on host:port in a background thread (workers, relays, clocks, the
    mailer); no port: don't."""
    if port:
        start_http_server(port, addr=host)


def serve_all_processes(host: str, port: int) -> None:
    """Serve, from gunicorn's master, the figures every worker writes to
    PROMETHEUS_MULTIPROC_DIR (sanctuary.serving)."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
