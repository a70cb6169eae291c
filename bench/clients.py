"""The benchmarks' clients: sign-ups through the public API, and POSTs as fast as they come."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from sanctuary_dev.forms import volunteer_sign_up

THROUGHPUT_SECONDS = 5.0
CLIENTS = 4


def sign_up(gateway: str, address: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/v1/volunteers",
        timeout=10,
        json=volunteer_sign_up(address),
    )


def throughput(post: Callable[[], requests.Response]) -> float:
    """Accepted POSTs a second from CLIENTS concurrent clients during THROUGHPUT_SECONDS."""
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    def client() -> int:
        done = 0
        while time.perf_counter() < deadline:
            assert post().status_code == 202
            done += 1
        return done

    with ThreadPoolExecutor(CLIENTS) as pool:
        total = sum(pool.map(lambda _: client(), range(CLIENTS)))
    return total / THROUGHPUT_SECONDS


def durable_post(url: str) -> requests.Response:
    """A sign-up's body, as the gateway gets it, to the bare app that commits it
    (bench.bare_app.create_durable_app): the same baseline in every benchmark."""
    return requests.post(url, json=volunteer_sign_up("durable@example.org"), timeout=5)
