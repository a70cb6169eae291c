"""Steady load through the gateway's public API: sign-ups, with event registrations mixed in,
each on its schedule, each answer kept."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import requests
from sanctuary_dev.forms import volunteer_sign_up

from chaos.mail import BOUNCE_PREFIX

CLIENTS = 16
REGISTRATION_EVERY = 5  # one request in five asks for a place at the trial's event


@dataclass(frozen=True)
class Answer:
    kind: str  # "sign-up" or "registration"
    address: str
    status: int  # 0: no answer (refused connection, timeout)
    retry_after: str | None
    at: float


_local = threading.local()


def _session() -> requests.Session:
    """Each client thread's own session: its connections are kept, as a browser keeps them."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session  # type: ignore[no-any-return]


def _signup(gateway: str, address: str) -> requests.Response:
    return _session().post(
        f"{gateway}/api/v1/volunteers",
        timeout=10,
        json=volunteer_sign_up(address, name="Trial"),
    )


def _register(gateway: str, event_id: str, address: str) -> requests.Response:
    return _session().post(
        f"{gateway}/api/v1/events/{event_id}/registrations",
        timeout=10,
        json={"name": "Trial", "email": address, "consent": True},
    )


class Load:
    """`rate` requests a second until stopped, CLIENTS at a time: client i sends requests
    i, i + CLIENTS, ... each at its time, or at once when it is behind (so a system slower
    than the rate gets as many as it answers, and nothing queues up beyond the clients).
    `bounce_every` > 0 makes every such sign-up's address one the mail server refuses (550)."""

    def __init__(
        self, gateway: str, event_id: str, rate: float, tag: str, bounce_every: int = 0
    ) -> None:
        self.gateway, self.event_id, self.rate, self.tag = gateway, event_id, rate, tag
        self.bounce_every = bounce_every
        self.answers: list[Answer] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.clients = [
            threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(CLIENTS)
        ]
        self.start = 0.0

    def __enter__(self) -> Load:
        self.start = time.monotonic()
        for client in self.clients:
            client.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for client in self.clients:
            client.join()

    def _client(self, index: int) -> None:
        n = index
        while True:
            pause = self.start + n / self.rate - time.monotonic()
            if self.stopping.wait(max(pause, 0.0)):
                return
            self._one(n)
            n += CLIENTS

    def _one(self, n: int) -> None:
        registration = n % REGISTRATION_EVERY == REGISTRATION_EVERY - 1
        bounce = not registration and self.bounce_every and n % self.bounce_every == 0
        prefix = BOUNCE_PREFIX if bounce else ("rg-" if registration else "su-")
        address = f"{prefix}{self.tag}-{n}-{uuid.uuid4().hex[:6]}@example.org"
        try:
            if registration:
                response = _register(self.gateway, self.event_id, address)
            else:
                response = _signup(self.gateway, address)
            status, retry_after = response.status_code, response.headers.get("Retry-After")
        except requests.RequestException:
            status, retry_after = 0, None
        kind = "registration" if registration else "sign-up"
        with self.lock:
            self.answers.append(Answer(kind, address, status, retry_after, time.time()))

    def accepted(self, kind: str | None = None) -> list[str]:
        with self.lock:
            return [
                a.address
                for a in self.answers
                if a.status == 202 and (kind is None or a.kind == kind)
            ]
