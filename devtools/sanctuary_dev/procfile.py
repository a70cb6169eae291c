"""Run Procfile processes in the foreground, as `make run` does (scripts/run): every line they
write, prefixed with the time and the process's name; Ctrl-C (or SIGTERM) stops them all;
one that ends on its own stops the rest, and its exit code is ours.

In place of honcho, which forks a Python process of its own for each line of the Procfile
(16 processes, about 230 MiB resident, only to pass output along): here one process passes
every output along, a thread each (`python -m bench.footprint`).

    python -m sanctuary_dev.procfile [--together] Procfile [name ...]

With --together, each service's worker, relay, clock and mailer lines become one process,
`python -m <service> background`, a thread each (sanctuary.cli.run_together): `make run`
starts 9 of them instead of 16, on one machine where nothing scales on its own. Compose and
Kubernetes run each line as its own process.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

STOP_SECONDS = 10.0  # a process still running this long after SIGTERM gets SIGKILL
ENTRY = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
BACKGROUND = re.compile(r"^([a-z]+)-(worker|relay|clock|mailer)$")


def entries(procfile: Path) -> dict[str, str]:
    """The Procfile's processes, by name, in its order (comments and blank lines skipped)."""
    found = {}
    for line in procfile.read_text().splitlines():
        matched = ENTRY.match(line.strip())
        if matched and not line.lstrip().startswith("#"):
            found[matched.group(1)] = matched.group(2)
    return found


def together(commands: dict[str, str]) -> dict[str, str]:
    """The same processes, each service's background loops folded into one `<service>-
    background` line where the first of them stood."""
    folded: dict[str, str] = {}
    for name, command in commands.items():
        loop = BACKGROUND.match(name)
        if loop is None:
            folded[name] = command
        else:
            service = loop.group(1)
            folded[f"{service}-background"] = f"exec python -m {service} background"
    return folded


class Runner:
    """The processes, their output, and stopping them together."""

    def __init__(self, commands: dict[str, str]) -> None:
        self.commands = commands
        self.width = max(len(name) for name in commands) + 2  # "name.1", as honcho wrote
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def say(self, name: str, text: bytes) -> None:
        prefix = f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | ".encode()
        with self.lock:
            sys.stdout.buffer.write(prefix + text.rstrip(b"\n") + b"\n")
            sys.stdout.buffer.flush()

    def start(self) -> None:
        for name, command in self.commands.items():
            process = subprocess.Popen(
                ["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            self.processes[name] = process
            self.say("system", f"{name}.1 started (pid={process.pid})".encode())
            assert process.stdout is not None
            threading.Thread(target=self._pass_on, args=(name, process.stdout), daemon=True).start()

    def _pass_on(self, name: str, output: IO[bytes]) -> None:
        for line in iter(output.readline, b""):
            self.say(f"{name}.1", line)

    def wait(self) -> int:
        """Until one process ends or a stop is asked for; then stop the rest. The exit code:
        the first process's to end on its own, or 0 after a stop asked for."""
        code = 0
        while not self.stopping.is_set():
            ended = [(n, p) for n, p in self.processes.items() if p.poll() is not None]
            if ended:
                name, process = ended[0]
                code = process.returncode
                self.say("system", f"{name}.1 stopped (rc={code})".encode())
                break
            self.stopping.wait(0.2)
        self.stop_all()
        return code

    def stop_all(self) -> None:
        self.say("system", b"sending SIGTERM to all processes")
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(
                    "system", f"{name}.1 still running after {STOP_SECONDS:g} s: SIGKILL".encode()
                )
                process.kill()
                process.wait()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folding = args[:1] == ["--together"]
    args = args[1:] if folding else args
    commands = entries(Path(args[0]))
    chosen = {name: commands[name] for name in args[1:]} if args[1:] else commands
    runner = Runner(together(chosen) if folding else chosen)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: runner.stopping.set())
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    runner.start()
    return runner.wait()


if __name__ == "__main__":
    raise SystemExit(main())
