"""How every web process is served, in `make run`, compose and Kubernetes alike:
`gunicorn -c python:sanctuary.serving --bind HOST:PORT "<service>.entrypoints.web:create_app()"`.

Slow clients (ADR 30). A sync worker gives a connection the whole process until its request
has arrived, so ten clients that never finish their headers stop the service. Here each
connection is a greenlet (gunicorn's gevent worker: a thousand per process cost a few
megabytes), and none may stay long:

- a request's head must arrive within WEB_HEADER_SECONDS of the connection (or of the last
  answer on a kept-alive one), else the connection is closed unanswered;
- each read of the body, and each write of the answer, must move within WEB_READ_SECONDS,
  else the request ends (408 when it can still be told).

Metrics (issue 16, point 9) are served here too, never on the application's port: with
METRICS_PORT set, gunicorn's master answers /metrics on METRICS_BIND_HOST:METRICS_PORT for
all its workers (prometheus-client's multiprocess mode in PROMETHEUS_MULTIPROC_DIR, made
for this run when unset).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from gunicorn.workers.ggevent import GeventWorker

from sanctuary.config import metrics_address

HEADER_SECONDS = int(os.environ.get("WEB_HEADER_SECONDS", "") or 5)
READ_SECONDS = float(os.environ.get("WEB_READ_SECONDS", "") or 15)


class SlowClientSafeWorker(GeventWorker):  # type: ignore[misc]  # gunicorn is untyped
    """gunicorn's gevent worker, with a time limit on every read and write of a client."""

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle makes the socket blocking with no limit; a limit instead. Its
        # parent, AsyncWorker.handle, reads each head under a gevent.Timeout of `keepalive`.
        client.settimeout(READ_SECONDS)
        super(GeventWorker, self).handle(listener, client, addr)


# gunicorn settings: this module's names that gunicorn knows are its configuration.
worker_class = f"{__name__}.SlowClientSafeWorker"
worker_connections = 1000
# The gevent worker waits at most `keepalive` seconds for each request's head.
keepalive = HEADER_SECONDS
# A worker that does not report in this long (a request stuck in the application) is
# replaced; SIGTERM gives requests in flight this long.
timeout = 30
graceful_timeout = 20

_METRICS_HOST, _METRICS_PORT = metrics_address(os.environ)
_MADE_DIR = ""
if _METRICS_PORT and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Set before any worker imports prometheus-client: each writes its figures here.
    _MADE_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-")


def when_ready(server: Any) -> None:
    """The master serves every worker's metrics on the metrics port, if there is one."""
    if _METRICS_PORT:
        from sanctuary import metrics

        metrics.serve_all_processes(_METRICS_HOST, _METRICS_PORT)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that ended stops counting in the live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if _MADE_DIR:
        shutil.rmtree(_MADE_DIR, ignore_errors=True)
