"""What the benchmarks read of the machine and its processes: CPU from /proc, an SMTP sink in
a process of its own, and waiting for a count to reach its target."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import wait_until

TICK = os.sysconf("SC_CLK_TCK")


class Sink:
    """The aiosmtpd sink in its own process (`python -m sanctuary_dev.mailsink`, as `make run`
    starts it), writing .eml files into a folder of its own: each run gets a fresh one, so
    counting what arrived stays cheap (a scan of thousands of files costs milliseconds, and
    would take CPU from what is measured)."""

    def __init__(self, scratch: Path) -> None:
        self.folder = scratch / uuid.uuid4().hex
        self.folder.mkdir()
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sanctuary_dev.mailsink",
                *("--dir", str(self.folder), "--port", str(self.port)),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: listening(self.port), timeout=30)

    def received(self) -> int:
        return sum(1 for entry in os.scandir(self.folder) if entry.name.endswith(".eml"))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=10)


def wait_for(count: Callable[[], int], target: int) -> None:
    """Until `count()` reaches `target`: looking every 0.2 s while far from it, every 5 ms
    near the end, so the looking costs little and the end is timed closely."""
    deadline = time.monotonic() + 600
    while (seen := count()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{seen} of {target} after 600 s")
        time.sleep(0.2 if target - seen > 150 else 0.005)


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_since(before: tuple[float, float]) -> float:
    busy, total = machine_busy()
    return (busy - before[0]) / max(1.0, total - before[1])


def listening(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=1):
            return True
    except OSError:
        return False
