"""The whole system for a trial: every Procfile process but the mail sink, each a process of
its own as docker-compose runs them, on the trial's databases and broker; and a supervisor
that starts again whatever ends, as compose's `restart: always` or Kubernetes would."""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.processes import wait_until
from sanctuary_dev.procfile import entries

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("gateway", "matching", "events", "notifications")
RESTART_AFTER = 0.5  # seconds a supervisor waits before starting an ended process again
# The processes a kill may hit: everything but the web processes, which gunicorn supervises.
KILLABLE = ("worker", "relay", "clock", "mailer")


def system_env(
    database_urls: dict[str, str], amqp_url: str, smtp_port: int, var: Path
) -> dict[str, str]:
    """What every process is given: its database, the broker, the mail server, fresh
    secrets, free ports, and no rate limit (the load comes from one address)."""
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    return {
        **os.environ,
        **{f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
        **ports,
        "AMQP_URL": amqp_url,
        "WEB_BIND_HOST": "127.0.0.1",
        "MATCHING_URL": f"http://127.0.0.1:{ports['MATCHING_PORT']}",
        "EVENTS_URL": f"http://127.0.0.1:{ports['EVENTS_PORT']}",
        "NOTIFICATIONS_URL": f"http://127.0.0.1:{ports['NOTIFICATIONS_PORT']}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "INTERNAL_TOKEN": secrets.token_urlsafe(32),
        "LINK_SECRET": secrets.token_urlsafe(32),
        "ADMIN_TOKEN": secrets.token_urlsafe(32),
        "PUBLIC_RATE_LIMIT": "",
        "VAR_DIR": str(var),
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }


class System:
    """The running processes, by Procfile name; restarts counted by name."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.commands = {
            name: command
            for name, command in entries(ROOT / "Procfile").items()
            if name != "mailsink"
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: Counter[str] = Counter()
        self.killed: Counter[str] = Counter()
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['ADMIN_TOKEN']}"}

    def migrate(self) -> None:
        for service in SERVICES:
            subprocess.run(
                [sys.executable, "-m", service, "migrate"],
                env=self.env,
                check=True,
                capture_output=True,
            )

    def _start(self, name: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen(
                ["bash", "-c", self.commands[name]],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )

    def supervise(self) -> None:
        """Start whatever ended, after RESTART_AFTER, until stopping."""
        while not self.stopping.wait(0.1):
            with self.lock:
                ended = [name for name, p in self.running.items() if p.poll() is not None]
            for name in ended:
                time.sleep(RESTART_AFTER)
                with self.lock:
                    if not self.stopping.is_set():
                        self.restarts[name] += 1
                        self._start(name)

    def kill_one(self, rng: random.Random) -> str:
        """SIGKILL one worker, relay, clock or mailer, chosen at random; its name."""
        with self.lock:
            names = [n for n in self.running if n.rsplit("-", 1)[-1] in KILLABLE]
            name = rng.choice(names)
            process = self.running[name]
            os.kill(process.pid, signal.SIGKILL)
            self.killed[name] += 1
        return name

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            for process in self.running.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in self.running.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.gateway}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


@contextmanager
def running(env: dict[str, str], logs: Path) -> Iterator[System]:
    """Migrate, start every process under a supervisor, wait for the gateway; stop it all."""
    system = System(env, logs)
    system.migrate()
    with system.lock:
        for name in system.commands:
            system._start(name)
    supervisor = threading.Thread(target=system.supervise, daemon=True)
    supervisor.start()
    try:
        wait_until(system.ready, timeout=90, interval=0.3)
        yield system
    finally:
        system.stop()
        supervisor.join(timeout=5)
