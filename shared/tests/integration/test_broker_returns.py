"""A worker is back within seconds of its broker (issue 17: workers came back 10.5 s after the
broker, kombu's backoff having grown to 16 s). Real: RabbitMQ through a TCP proxy the test
cuts and restores (the machine's broker is never stopped), and `python -m matching worker`."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from sanctuary import topology
from sanctuary.runtime import Service
from sanctuary_dev.messages import queue_consumers
from sanctuary_dev.processes import stop_processes, wait_until, worker_processes
from sanctuary_dev.proxy import TcpProxy

pytestmark = pytest.mark.integration

# Long enough for kombu's own backoff (2, 4, 6, 8 s ...) to be waiting 8 s between tries.
OUTAGE_SECONDS = 14


def test_a_worker_consumes_again_within_five_seconds_of_the_broker_coming_back(
    matching: Service,
) -> None:
    real = urlsplit(matching.config.amqp_url)
    proxy = TcpProxy((real.hostname or "127.0.0.1", real.port or 5672))
    through = real._replace(netloc=f"{real.username}:{real.password}@127.0.0.1:{proxy.port}")
    queue = topology.queue_name("matching")
    consumers = lambda: queue_consumers(matching.config.amqp_url, queue)  # noqa: E731
    workers = worker_processes(matching, 1, AMQP_URL=urlunsplit(through))
    try:
        wait_until(lambda: consumers() == 1, timeout=60)
        proxy.cut()
        wait_until(lambda: consumers() == 0, timeout=10)
        time.sleep(OUTAGE_SECONDS)
        proxy.restore()
        back = time.monotonic()
        wait_until(lambda: consumers() == 1, timeout=30, interval=0.1)
        assert time.monotonic() - back < 5
        proxy.cut()  # and stopped while it cannot reach the broker, it stops at once
        wait_until(lambda: consumers() == 0, timeout=10)
        assert stop_processes(workers) == [0]
    finally:
        proxy.cut()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
