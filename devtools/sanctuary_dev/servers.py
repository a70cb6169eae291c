"""Each test's own RabbitMQ vhost and PostgreSQL databases on the machine's servers (AMQP_URL,
TEST_POSTGRES_URL), made and thrown away; testcontainers where a Docker engine is reachable
instead."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Short delays so that retry tests take a second, not ten minutes.
TEST_RETRY_DELAYS_MS = (200, 400, 800)
DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def private_vhost(base_url: str) -> Iterator[str]:
    """A fresh RabbitMQ vhost on the local broker, deleted afterwards; yields its AMQP URL."""
    if shutil.which("rabbitmqctl") is None:
        raise RuntimeError("rabbitmqctl is needed to make a private vhost on the local broker")
    name = f"sanctuary-test-{uuid.uuid4().hex[:12]}"
    parts = urlsplit(base_url)
    user = parts.username or "guest"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    try:
        yield urlunsplit(parts._replace(path="/" + quote(name, safe="")))
    finally:
        subprocess.run(
            ["rabbitmqctl", "-q", "delete_vhost", name], check=False, capture_output=True
        )


class VhostPool:
    """Private vhosts made ahead in batches and thrown away in batches.

    Each `rabbitmqctl` call starts an Erlang VM (about 0.3 s), and three calls for every
    test were most of the integration suite's time. One `rabbitmqctl eval` makes or deletes
    a whole batch, the used ones just before the next is made.
    """

    def __init__(self, base_url: str, batch: int = 8) -> None:
        if shutil.which("rabbitmqctl") is None:
            raise RuntimeError("rabbitmqctl is needed to make private vhosts on the local broker")
        self.parts = urlsplit(base_url)
        self.user = self.parts.username or "guest"
        self.batch = batch
        self.ready: list[str] = []
        self.used: list[str] = []

    def take(self) -> str:
        """A fresh, empty vhost's AMQP URL; give its name back with `give_back`."""
        if not self.ready:
            # The vhosts given back are deleted before the next batch is made, so that at
            # most one batch's quorum queues exist at a time: with two batches' (over three
            # hundred queues) RabbitMQ 3.10 stopped starting new vhosts and the whole broker
            # stalled for minutes.
            if self.used:
                subprocess.run(
                    ["rabbitmqctl", "-q", "eval", self._deleted(self.used)],
                    check=False,
                    capture_output=True,
                )
                self.used = []
            names = [f"sanctuary-test-{uuid.uuid4().hex[:12]}" for _ in range(self.batch)]
            subprocess.run(
                ["rabbitmqctl", "-q", "eval", self._made(names)], check=True, capture_output=True
            )
            self.ready = names
        return urlunsplit(self.parts._replace(path="/" + quote(self.ready.pop(), safe="")))

    def give_back(self, url: str) -> None:
        """Done with this vhost: it is deleted before the next batch is made."""
        self.used.append(urlsplit(url).path.lstrip("/"))

    def close(self) -> None:
        """Delete every vhost this pool made."""
        leftover = self.used + self.ready
        self.used, self.ready = [], []
        if leftover:
            subprocess.run(
                ["rabbitmqctl", "-q", "eval", self._deleted(leftover)],
                check=False,
                capture_output=True,
            )

    def _made(self, names: list[str]) -> str:
        return (
            'lists:foreach(fun(N) -> ok = rabbit_vhost:add(N, <<"tests">>), '
            f'ok = rabbit_auth_backend_internal:set_permissions(<<"{self.user}">>, N, '
            '<<".*">>, <<".*">>, <<".*">>, <<"tests">>) end, '
            f"{self._binaries(names)}), ok."
        )

    def _deleted(self, names: list[str]) -> str:
        return (
            'lists:foreach(fun(N) -> rabbit_vhost:delete(N, <<"tests">>) end, '
            f"{self._binaries(names)}), ok."
        )

    @staticmethod
    def _binaries(names: list[str]) -> str:
        # Names are ours (letters, digits, dashes): nothing to escape.
        return "[" + ", ".join(f'<<"{name}">>' for name in names) + "]"


@contextmanager
def private_database(admin_url: str, service: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one service, dropped afterwards; yields its URL."""
    name = f"t_{uuid.uuid4().hex[:10]}_{service}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
