"""Prometheus metrics, defined once for every process of every service.

Web processes answer GET /metrics. Workers, relays, clocks and the mailer serve the same on
METRICS_PORT when it is set. Under gunicorn with several workers, set
PROMETHEUS_MULTIPROC_DIR so that one scrape sees them all (prometheus-client's multiprocess
mode).
"""

from __future__ import annotations

import os
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
    """The current metrics in Prometheus' text format, across processes where configured."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int | None) -> None:
    """Serve /metrics on `port` in a background thread (non-web processes); None: don't."""
    if port:
        start_http_server(port, addr="0.0.0.0")  # noqa: S104 (scraped from the pod network)
