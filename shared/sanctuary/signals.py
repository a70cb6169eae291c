"""Stopping on SIGTERM (orchestrators) and SIGINT (Ctrl-C), safely."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable


def on_stop_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM (orchestrators) and SIGINT (Ctrl-C).

    The handler only writes a byte to a pipe, and a watcher thread calls `stop`. A handler
    runs on the main thread between two bytecodes, maybe while that thread holds the lock
    `stop` needs: `Event.set` takes the lock that `Event.wait` holds for a moment on every
    poll, so a handler calling it could wait forever on its own thread (the Python docs warn
    against locks in signal handlers; a relay once hung so in CI).
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def watch() -> None:
        os.read(read_end, 1)
        stop()

    def on_signal(*_: object) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds a stop
            os.write(write_end, b"x")

    threading.Thread(target=watch, name="stop-signals", daemon=True).start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
