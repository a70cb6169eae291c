"""Stopping on SIGTERM (orchestrators) and SIGINT (Ctrl-C), safely."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable

_stops: list[Callable[[], None]] = []
_signalled = threading.Event()  # set by the watcher thread, never by a signal handler
_write_end: int | None = None


def on_stop_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM (orchestrators) and SIGINT (Ctrl-C), or at once if one came
    already: a process that registers several stops in turn (waiting for its dependencies,
    then its loop) never loses a signal that came between two of them.

    The handler only writes a byte to a pipe, and a watcher thread calls the stops. A handler
    runs on the main thread between two bytecodes, maybe while that thread holds the lock a
    stop needs: `Event.set` takes the lock that `Event.wait` holds for a moment on every poll,
    so a handler calling it could wait forever on its own thread (the Python docs warn against
    locks in signal handlers; a relay once hung so in CI).
    """
    global _write_end
    if _write_end is None:
        read_end, _write_end = os.pipe()
        os.set_blocking(_write_end, False)
        threading.Thread(target=_watch, args=(read_end,), name="stop-signals", daemon=True).start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _on_signal)
    _stops.append(stop)
    if _signalled.is_set():  # the watcher may have run the list before this stop joined it
        stop()


def _on_signal(*_: object) -> None:
    assert _write_end is not None
    with contextlib.suppress(BlockingIOError):  # a full pipe already holds a stop
        os.write(_write_end, b"x")


def _watch(read_end: int) -> None:
    os.read(read_end, 1)
    _signalled.set()
    for stop in list(_stops):
        stop()
