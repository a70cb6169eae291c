"""A call that returns an array of integers, made in a forked copy of this process while this
one goes on with other work.

OR-Tools holds the GIL for the whole of a solve, so no thread can work beside it; a forked
child can. It shares the parent's memory page by page (copied only where either one writes),
makes the call, writes the array's bytes to a pipe and leaves at once. If it fails in any way
(killed, out of memory, an exception), `result` makes the call here instead: the answer never
depends on the child, only the time does.

Forking is used only where it is safe: a POSIX system, the main thread (no lock held by another
thread can be copied half-taken), and no gevent (its hub in a web worker is not fork-safe).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

import numpy as np

_CHUNK = 1 << 20


def possible() -> bool:
    """Whether a call may be made aside from here."""
    monkey = sys.modules.get("gevent.monkey")
    patched = monkey is not None and bool(monkey.is_module_patched("os"))
    main = threading.current_thread() is threading.main_thread()
    return hasattr(os, "fork") and main and not patched


def start(call: Callable[[], np.ndarray], size: int) -> Pending | None:
    """`call` (returning `size` integers) begun in a child process; None where that is not
    possible, or when no process can be forked now (out of memory or of processes)."""
    if not possible():
        return None
    try:
        return Pending(call, size)
    except OSError:
        return None


class Pending:
    """A call running in a child process; `result` waits for its array."""

    def __init__(self, call: Callable[[], np.ndarray], size: int) -> None:
        self._call, self._size = call, size
        self._read, write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: call, write the bytes, leave without any cleanup
            status = 1
            try:
                os.close(self._read)
                data = memoryview(np.ascontiguousarray(call(), dtype=np.int64).tobytes())
                while data:
                    data = data[os.write(write, data) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write)

    def result(self) -> np.ndarray:
        """The child's array, once it has ended; the call made here if the child failed."""
        chunks = []
        while chunk := os.read(self._read, _CHUNK):
            chunks.append(chunk)
        os.close(self._read)
        try:
            _, status = os.waitpid(self._pid, 0)
        except ChildProcessError:  # reaped elsewhere: its status is unknown
            status = -1
        data = b"".join(chunks)
        if status != 0 or len(data) != 8 * self._size:
            return self._call()
        return np.frombuffer(data, np.int64).copy()

    def cancel(self) -> None:
        """Stop the child and forget its answer."""
        os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)
        os.close(self._read)
