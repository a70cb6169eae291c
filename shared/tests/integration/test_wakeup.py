"""Relays and the mailer wake on a commit, not a poll later (ADR 0034).

Real: PostgreSQL (a private database, migrated: the triggers are the migrations'), an SQLite
file in WAL mode, RabbitMQ (a private vhost), the relay as `python -m gateway relay` runs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from gateway.adapters.models import Outbox
from gateway.bootstrap import bootstrap
from gateway.config import GatewayConfig
from sanctuary import wakeup
from sanctuary.db import make_engine
from sanctuary.runtime import Service
from sanctuary_dev.messages import signed_up
from sanctuary_dev.processes import wait_until
from sqlalchemy import func, select, text

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway(make_service: Callable[..., Service]) -> Service:
    return make_service(bootstrap, "gateway", GatewayConfig)


def waited(waker: wakeup.Wakeup, seconds: float, commit: Callable[[], None] | None) -> float:
    """How long `waker.wait(seconds)` took, with `commit` made 0.2 s into the wait."""
    stopping = threading.Event()
    committer = threading.Timer(0.2, commit or (lambda: None))
    committer.start()
    started = time.monotonic()
    waker.wait(seconds, stopping)
    took = time.monotonic() - started
    # The wait ends at the commit, maybe before the committer gives its connection back to
    # the pool: an engine disposed before then would leave it open.
    committer.join()
    return took


def add_to_outbox(service: Service) -> None:
    with service.unit_of_work() as uow:
        uow.publish(signed_up())


def test_a_commit_to_the_outbox_wakes_a_listener_on_postgresql(gateway: Service) -> None:
    """The migration's trigger notifies on commit: a wait of 5 s ends 0.2 s in, when the row
    is committed; nothing committed, it lasts its length; a rolled-back insert wakes nobody."""
    listener = wakeup.for_table(gateway.engine, "outbox")
    assert isinstance(listener, wakeup.Listening)
    try:
        assert 0.9 <= waited(listener, 1.0, None) < 1.5  # connects and LISTENs, then waits
        assert waited(listener, 5.0, lambda: add_to_outbox(gateway)) < 0.6

        def rolled_back() -> None:
            with gateway.engine.connect() as connection:
                connection.execute(
                    text(
                        "INSERT INTO outbox (message_id, type, body, correlation_id, "
                        "schema_version, created_at) VALUES ('x', 't', '{}', 'c', 1, now())"
                    )
                )
                connection.rollback()

        assert waited(listener, 1.0, rolled_back) >= 0.9
    finally:
        listener.close()


def test_a_listener_whose_connection_is_cut_polls_and_listens_again(gateway: Service) -> None:
    """The database ends the listening connection: that wait ends, the next waits poll, and
    the listener comes back by itself (RECONNECT_SECONDS later)."""
    listener = wakeup.for_table(gateway.engine, "outbox")
    assert isinstance(listener, wakeup.Listening)
    try:
        waited(listener, 0.1, None)
        assert listener.connection is not None
        pid = listener.connection.info.backend_pid
        with gateway.engine.connect() as admin:
            admin.execute(text(f"SELECT pg_terminate_backend({int(pid)})"))
        waited(listener, 0.5, None)
        assert listener.connection is None  # lost: polling meanwhile
        assert waited(listener, 0.5, None) >= 0.45
        listener._retry_at = 0.0  # as if RECONNECT_SECONDS had passed
        waited(listener, 0.1, None)
        assert waited(listener, 5.0, lambda: add_to_outbox(gateway)) < 0.6
    finally:
        listener.close()


def test_a_commit_to_an_sqlite_database_wakes_a_watcher_of_its_log(tmp_path: Path) -> None:
    """make run's SQLite: a commit writes the WAL, which the watcher sees; a commit to another
    database in the same folder does not wake it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'events.db'}")
    for database in (engine, other):
        with database.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
    watcher = wakeup.for_table(engine, "t")
    assert isinstance(watcher, wakeup.WatchingLog)

    def insert(database: object) -> Callable[[], None]:
        def commit() -> None:
            with database.begin() as connection:  # type: ignore[attr-defined]
                connection.execute(text("INSERT INTO t VALUES (1)"))

        return commit

    try:
        assert waited(watcher, 5.0, insert(engine)) < 0.6
        assert waited(watcher, 1.0, insert(other)) >= 0.9
        assert waited(watcher, 1.0, None) >= 0.9
    finally:
        watcher.close()
        engine.dispose()
        other.dispose()


def test_the_relay_publishes_a_row_as_it_is_committed_not_a_poll_later(
    gateway: Service,
) -> None:
    """`python -m gateway relay` polling every 5 s publishes each new row within a fraction
    of a second of its commit."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.config.database_url,
        "AMQP_URL": gateway.config.amqp_url,
        "RELAY_POLL_SECONDS": "5",
    }
    relay = subprocess.Popen(
        [sys.executable, "-m", "gateway", "relay"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        add_to_outbox(gateway)
        wait_until(lambda: unsent(gateway) == 0, timeout=30)  # started, listening
        time.sleep(0.5)
        delays = []
        for _ in range(5):
            add_to_outbox(gateway)
            committed = time.monotonic()
            wait_until(lambda: unsent(gateway) == 0, timeout=10, interval=0.005)
            delays.append(time.monotonic() - committed)
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=30) == 0
    assert max(delays) < 0.5, delays


def unsent(service: Service) -> int:
    with service.sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None)))
            or 0
        )


def test_a_long_wait_ends_soon_after_a_stop_is_asked_for(gateway: Service, tmp_path: Path) -> None:
    """A relay or mailer told to stop (SIGTERM) during a wait of a minute stops within a
    quarter of a second, on PostgreSQL and on SQLite alike."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'quiet.db'}")
    waiters = [wakeup.for_table(gateway.engine, "outbox"), wakeup.for_table(sqlite, "t")]
    try:
        for waiter in waiters:
            stopping = threading.Event()
            threading.Timer(0.3, stopping.set).start()
            started = time.monotonic()
            waiter.wait(60.0, stopping)
            assert time.monotonic() - started < 0.8, waiter
    finally:
        for waiter in waiters:
            waiter.close()
        sqlite.dispose()
