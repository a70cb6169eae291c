"""Wake a polling loop (a relay, the mailer) as soon as a row it waits for is committed, not a
poll later (ADR 0034).

- PostgreSQL: a statement trigger on the table notifies `channel(table)` (`wake_on_insert` in
  the service's migrations), delivered when the inserting transaction commits; the loop
  LISTENs on a connection of its own.
- SQLite (`make run`): every commit writes the database's write-ahead log, and the loop
  watches that file with inotify (Linux). A commit to any table of the database wakes it;
  an idle loop's own reads write nothing.
- Elsewhere, or when the listening connection is lost: a plain wait of the poll's length.

The poll stays as the safety net either way: a notification missed while reconnecting costs
one poll, never a row.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 5.0
STOP_CHECK_SECONDS = 0.25  # a long wait looks this often whether it was told to stop
# On SQLite every transaction takes the one write lock (`sanctuary.db`), and a web process
# that finds it taken sleeps in SQLite's busy handler: a loop woken by a commit starts its
# next batch no sooner than this after its last wake, so under load many commits make one
# batch, not a batch (and a lock) each. Measured with `make bench`: intake as without the
# wake-ups; a sign-up's email in a quarter of the time.
SQLITE_COALESCE_SECONDS = 0.05


def channel(table: str) -> str:
    """The PostgreSQL notification channel a table's inserts are announced on."""
    return f"sanctuary_{table}"


class Wakeup(Protocol):
    def wait(self, seconds: float, stopping: threading.Event) -> None:
        """Return when a row may have come, after `seconds` at most, or once `stopping`."""

    def close(self) -> None: ...


def for_table(engine: Engine, table: str) -> Wakeup:
    """The quickest way this database has to wake a loop reading `table`."""
    if engine.dialect.name == "postgresql":
        return Listening(engine, channel(table))
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        try:
            return WatchingLog(Path(str(engine.url.database)))
        except (ImportError, OSError) as exc:  # not Linux, or no inotify left
            log.info("cannot watch the SQLite log (%s): polling only", exc)
    return Sleeping()


class Sleeping:
    """Polling only."""

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        stopping.wait(seconds)

    def close(self) -> None:
        pass


class Listening:
    """LISTEN on a connection of its own, in autocommit; lost, it is made again (at most
    every RECONNECT_SECONDS), and meanwhile the loop polls."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.name = name
        self.connection: Any = None
        self._retry_at = 0.0

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        import psycopg

        if stopping.is_set():
            return
        if self.connection is None and time.monotonic() >= self._retry_at:
            try:
                self.connection = self._listen()
            except psycopg.Error as exc:
                self._lost(exc)
        if self.connection is None:
            stopping.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        try:
            while not stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                woken = False
                for _ in self.connection.notifies(
                    timeout=min(left, STOP_CHECK_SECONDS), stop_after=1
                ):
                    woken = True
                if woken:
                    for _ in self.connection.notifies(timeout=0):
                        pass  # the others that came meanwhile: one wake is enough
                    return
        except psycopg.Error as exc:
            self._lost(exc)

    def _listen(self) -> Any:
        import psycopg
        from psycopg import sql

        connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.name)))
        return connection

    def _lost(self, exc: BaseException) -> None:
        log.warning("cannot listen for %s, polling meanwhile: %s", self.name, exc)
        self.close()
        self._retry_at = time.monotonic() + RECONNECT_SECONDS

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()


class WatchingLog:
    """inotify on the folder of an SQLite database, for writes to its `-wal` file (watching
    the folder, not the file, survives the file being removed and made again)."""

    def __init__(self, database: Path) -> None:
        from inotify_simple import INotify, flags

        self.log_name = database.name + "-wal"
        self._woken = 0.0
        self.inotify = INotify()
        self.inotify.add_watch(str(database.resolve().parent), flags.MODIFY | flags.CREATE)

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        # Writes before this wait are the loop's own (its marks) or were read by its last
        # batch, bar one landing during it, which the poll then takes.
        self.inotify.read(timeout=0)
        deadline = time.monotonic() + seconds
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            events = self.inotify.read(timeout=max(1, int(min(left, STOP_CHECK_SECONDS) * 1000)))
            if any(event.name == self.log_name for event in events):
                rest = self._woken + SQLITE_COALESCE_SECONDS - time.monotonic()
                if rest > 0:
                    stopping.wait(rest)
                self._woken = time.monotonic()
                self.inotify.read(timeout=0)  # the rest of this burst: one wake is enough
                return

    def close(self) -> None:
        self.inotify.close()
