"""SIGTERM and SIGINT stop a process even when they land at the worst moment."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# The signal lands while the main thread holds the stop event's own lock, as it does for a
# moment inside every `stopping.wait(...)` of a polling loop. A handler that called
# `Event.set` there would wait for a lock its own thread holds: the process would never stop.
WORST_MOMENT = textwrap.dedent(
    """
    import os, signal, threading
    from sanctuary.signals import on_stop_signals

    stopping = threading.Event()
    on_stop_signals(stopping.set)
    with stopping._cond:
        os.kill(os.getpid(), signal.{signal})
        for _ in range(1000):  # bytecodes run here, so the handler has run too
            pass
    print("stopped" if stopping.wait(5) else "not stopped")
    """
)


def run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20, check=True
    )
    return done.stdout.strip()


def test_a_stop_signal_that_lands_while_the_stop_event_is_locked_still_stops() -> None:
    for name in ("SIGTERM", "SIGINT"):
        assert run(WORST_MOMENT.format(signal=name)) == "stopped", name


def test_a_stop_signal_before_the_next_stop_is_registered_stops_that_one_too() -> None:
    """A process waits for its database (one stop), then starts its loop (another): SIGTERM in
    between still stops the loop, at once."""
    script = textwrap.dedent(
        """
        import os, signal, threading
        from sanctuary.signals import on_stop_signals

        waiting = threading.Event()
        on_stop_signals(waiting.set)
        os.kill(os.getpid(), signal.SIGTERM)
        waiting.wait(5)
        looping = threading.Event()
        on_stop_signals(looping.set)
        print("stopped" if looping.is_set() else "not stopped")
        """
    )
    assert run(script) == "stopped"
