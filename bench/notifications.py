"""`python -m bench.notifications`: welcome emails per second through the whole notifications
service (volunteer.registered in its queue → `python -m notifications worker` plans and renders
→ `python -m notifications mailer` sends), against a raw smtplib loop to the same SMTP sink in
the same run; into the "Notifications" section of docs/performance.md.

Needs the local RabbitMQ and PostgreSQL (a private vhost and database are made and removed).
`BENCH_EMAILS` sets the count (2,000), `BENCH_WORKER_BATCH` the workers' WORKER_BATCH (100,
as deployed),
`BENCH_ROUNDS` how many times each is measured (3), `BENCH_SERVICES` the whole-service
configurations as workers x mailers ("1x1,1x2,2x2"), `BENCH_SINK_DIR` where the sinks write
(/dev/shm where there is one).
"""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from email.utils import parseaddr
from pathlib import Path

from notifications import domain
from notifications.adapters.mail import compose, render_parts
from notifications.adapters.models import Delivery
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from sanctuary.config import DEFAULT_AMQP_URL
from sanctuary.migrations import upgrade
from sanctuary_dev.messages import apply, group_created, publish_messages, registered
from sanctuary_dev.processes import wait_until
from sanctuary_dev.secrets import with_secrets
from sanctuary_dev.servers import (
    DEFAULT_TEST_POSTGRES_URL,
    TEST_RETRY_DELAYS_MS,
    private_database,
    private_vhost,
)
from sqlalchemy import func, select

from bench.machine import Sink, busy_since, cpu_seconds, machine_busy, wait_for
from bench.notifications_report import Run, Settings, write_section

ROOT = Path(__file__).resolve().parents[1]
EMAILS = int(os.environ.get("BENCH_EMAILS", "2000"))
WORKER_BATCH = int(os.environ.get("BENCH_WORKER_BATCH", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SCRATCH = os.environ.get("BENCH_SINK_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
SERVICES = [
    (int(workers), int(mailers))
    for workers, _, mailers in (
        c.partition("x") for c in os.environ.get("BENCH_SERVICES", "1x1,1x2,2x2").split(",")
    )
]
SENDER = NotificationsConfig.mail_from
# Who signs the bench's emails: the network's own group, as `migrate` seeds it.
BENCH = group_created()
BENCH_GROUP = domain.signature(BENCH.name, BENCH.contact, local=False)


def publish_registrations(amqp_url: str, how_many: int, tag: str) -> None:
    """`how_many` volunteer.registered messages, as the matching service's relay sends them."""
    messages = (registered(email=f"{tag}{n}@example.org") for n in range(how_many))
    publish_messages(amqp_url, messages, app_id="bench")


def raw_rate(sink: Sink) -> Run:
    """smtplib on one connection: EMAILS copies of a welcome email, composed once as the
    mailer composes it, sent as bytes back to back. SMTP and the sink, nothing else."""
    context = {"name": "Bench", "locale": "en", "group": BENCH_GROUP}
    message = compose(
        render_parts(domain.WELCOME, context),
        context,
        to="raw@example.org",
        sender=SENDER,
        message_id=str(uuid.uuid4()),
    )
    sender = parseaddr(SENDER)[1]
    sink_before, machine_before = cpu_seconds(sink.process.pid), machine_busy()
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
        for _ in range(EMAILS):
            smtp.sendmail(sender, ["raw@example.org"], message)
    elapsed = time.perf_counter() - start
    busy = busy_since(machine_before)
    assert sink.received() == EMAILS
    cpu = {"sink": _per_email(cpu_seconds(sink.process.pid) - sink_before)}
    return Run("raw smtplib loop, one connection", EMAILS / elapsed, cpu, busy)


def raw_in_own_sink(scratch: Path) -> Run:
    """The raw loop, to a sink of its own (as each whole-service run has)."""
    sink = Sink(scratch)
    try:
        return raw_rate(sink)
    finally:
        sink.stop()


def _per_email(seconds: float) -> float:
    return seconds * 1000 / EMAILS


def _env(config: NotificationsConfig) -> dict[str, str]:
    return {
        **with_secrets(dict(os.environ)),
        "NOTIFICATIONS_DATABASE_URL": config.database_url,
        "AMQP_URL": config.amqp_url,
        "RETRY_DELAYS_MS": ",".join(map(str, TEST_RETRY_DELAYS_MS)),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(config.smtp_port),
        "MAIL_POLL_SECONDS": "0.05",
        "WORKER_BATCH": str(WORKER_BATCH),
        "LOG_LEVEL": "WARNING",
    }


def _run(role: str, config: NotificationsConfig) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "notifications", role], env=_env(config))


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.communicate(timeout=30)


class Bench:
    """The private database and vhost of one run, and ways to count and time what happens."""

    def __init__(self, config: NotificationsConfig, scratch: Path) -> None:
        self.config, self.scratch = config, scratch
        self.service = bootstrap(config)
        self.tag = 0

    def planned(self) -> int:
        with self.service.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Delivery)) or 0)

    def publish(self, how_many: int) -> None:
        self.tag += 1
        publish_registrations(self.config.amqp_url, how_many, f"b{self.tag}-")

    def timed(
        self, started: Callable[[], bool], count: Callable[[], int], pids: dict[str, list[int]]
    ) -> tuple[float, dict[str, float], float]:
        """Seconds from `started` until `count()` reaches EMAILS, the CPU of each kind of
        process over that time (milliseconds per email), and how busy the machine was."""
        wait_until(started, timeout=60, interval=0.005)
        before = {kind: sum(cpu_seconds(p) for p in group) for kind, group in pids.items()}
        machine_before = machine_busy()
        start = time.perf_counter()
        wait_for(count, EMAILS)
        elapsed = time.perf_counter() - start
        busy = busy_since(machine_before)
        cpu = {
            kind: _per_email(sum(cpu_seconds(p) for p in group) - before[kind])
            for kind, group in pids.items()
        }
        return elapsed, cpu, busy

    def service_rate(self, workers: int, mailers: int) -> Run:
        """Mailers running and warm; EMAILS messages waiting in the queue (published while no
        worker ran, so the publisher's own work is not in the figure); then `workers` workers
        start. Timed from the first email planned to the last one in the sink."""
        sink = Sink(self.scratch)
        config = replace(self.config, smtp_port=sink.port)
        running = [_run("mailer", config) for _ in range(mailers)]
        try:
            warm = [_run("worker", config)]
            self.publish(5)
            wait_until(lambda: sink.received() == 5, timeout=60)
            _stop(warm)
            base = self.planned()
            self.publish(EMAILS)
            worker_processes = [_run("worker", config) for _ in range(workers)]
            running += worker_processes
            elapsed, cpu, busy = self.timed(
                lambda: self.planned() > base,
                lambda: sink.received() - 5,
                {
                    "worker": [p.pid for p in worker_processes],
                    "mailer": [p.pid for p in running if p not in worker_processes],
                    "sink": [sink.process.pid],
                },
            )
        finally:
            _stop(running)
            sink.stop()
        label = f"whole service, {workers} worker{'s' * (workers > 1)}, {mailers} mailer"
        return Run(label + "s" * (mailers > 1), (EMAILS - 1) / elapsed, cpu, busy)

    def worker_rate(self) -> Run:
        """The worker alone (no mailer running): EMAILS messages planned and rendered."""
        base = self.planned()
        self.publish(EMAILS)
        worker = _run("worker", self.config)
        try:
            elapsed, cpu, busy = self.timed(
                lambda: self.planned() > base,
                lambda: self.planned() - base,
                {"worker": [worker.pid]},
            )
        finally:
            _stop([worker])
        return Run("worker alone: emails planned and rendered", (EMAILS - 1) / elapsed, cpu, busy)

    def mailer_rate(self) -> Run:
        """The mailer alone, sending what the worker planned just before."""
        sink = Sink(self.scratch)
        mailer = _run("mailer", replace(self.config, smtp_port=sink.port))
        try:
            elapsed, cpu, busy = self.timed(
                lambda: sink.received() > 0,
                sink.received,
                {"mailer": [mailer.pid], "sink": [sink.process.pid]},
            )
        finally:
            _stop([mailer])
            sink.stop()
        return Run("mailer alone: planned emails sent", (EMAILS - 1) / elapsed, cpu, busy)


def main() -> None:
    with (
        # The sinks write to memory where there is a tmpfs: on disk, writeback adds noise to
        # the sink's pace (BENCH_SINK_DIR=/tmp to see it).
        tempfile.TemporaryDirectory(dir=SCRATCH) as scratch,
        private_vhost(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)) as amqp_url,
        private_database(
            os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL), "notifications"
        ) as url,
    ):
        config = NotificationsConfig(
            service="notifications",
            database_url=url,
            amqp_url=amqp_url,
            retry_delays_ms=TEST_RETRY_DELAYS_MS,
            smtp_host="127.0.0.1",
        )
        bench = Bench(config, Path(scratch))
        upgrade(bench.service.migrations, url, bench.service.metadata)
        apply(bench.service, BENCH)
        rounds = []
        try:
            # The raw loop runs before and after each measurement, which is compared with the
            # mean of the two: the machine's pace drifts by a third between minutes.
            for _ in range(ROUNDS):
                measures: list[Callable[[], Run]] = [
                    *(lambda w=w, m=m: bench.service_rate(w, m) for w, m in SERVICES),
                    bench.worker_rate,
                    bench.mailer_rate,
                ]
                raws = [raw_in_own_sink(Path(scratch))]
                runs = []
                for measure in measures:
                    run = measure()
                    raws.append(raw_in_own_sink(Path(scratch)))
                    runs.append(replace(run, baseline=(raws[-2].rate + raws[-1].rate) / 2))
                raw = sorted(raws, key=lambda r: r.rate)[len(raws) // 2]
                rounds.append([*runs, replace(raw, baseline=raw.rate)])
        finally:
            bench.service.engine.dispose()
    write_section(rounds, Settings(EMAILS, WORKER_BATCH, ROUNDS, SCRATCH))


if __name__ == "__main__":
    main()
