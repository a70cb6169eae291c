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
import platform
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from statistics import median

from notifications import domain
from notifications.adapters.mail import compose, render_parts
from notifications.adapters.models import Delivery
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from sanctuary.config import DEFAULT_AMQP_URL
from sanctuary.migrations import upgrade
from sanctuary_dev.mailsink import free_port
from sanctuary_dev.messages import publish_messages, registered
from sanctuary_dev.processes import wait_until
from sanctuary_dev.servers import (
    DEFAULT_TEST_POSTGRES_URL,
    TEST_RETRY_DELAYS_MS,
    private_database,
    private_vhost,
)
from sqlalchemy import func, select

from bench import report

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
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """One configuration's figure, and the CPU each kind of process spent per email."""

    label: str
    rate: float
    cpu_ms: dict[str, float]  # process kind -> CPU milliseconds per email
    busy: float  # how busy the whole machine was, 0..1 (all cores)
    # The raw loop's rate this is compared with: the mean of the raw loops run just before and
    # just after it (the machine's pace drifts from minute to minute).
    baseline: float = 0.0


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
        wait_until(lambda: _listening(self.port), timeout=30)

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


def publish_registrations(amqp_url: str, how_many: int, tag: str) -> None:
    """`how_many` volunteer.registered messages, as the matching service's relay sends them."""
    messages = (registered(email=f"{tag}{n}@example.org") for n in range(how_many))
    publish_messages(amqp_url, messages, app_id="bench")


def raw_rate(sink: Sink) -> Run:
    """smtplib on one connection: EMAILS copies of a welcome email, composed once as the
    mailer composes it, sent as bytes back to back. SMTP and the sink, nothing else."""
    context = {"name": "Bench", "locale": "en"}
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
    busy = _busy(machine_before)
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


def _busy(before: tuple[float, float]) -> float:
    busy, total = machine_busy()
    return (busy - before[0]) / max(1.0, total - before[1])


def _env(config: NotificationsConfig) -> dict[str, str]:
    return {
        **os.environ,
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
        busy = _busy(machine_before)
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
    write_section(rounds)


def _listening(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=1):
            return True
    except OSError:
        return False


def _cpu(run: Run) -> str:
    return ", ".join(f"{kind} {ms:.2f}" for kind, ms in run.cpu_ms.items())


def write_section(rounds: list[list[Run]]) -> None:
    """One row per configuration: the median over the rounds, and each figure as a share of
    the raw loops run just before and after it (the raw loop's row: each round's median)."""
    rows, best = [], 0.0
    for column in zip(*rounds, strict=True):
        shares = sorted(run.rate / run.baseline for run in column)
        rates = sorted(run.rate for run in column)
        middle = column[sorted(range(len(column)), key=lambda i: column[i].rate)[len(column) // 2]]
        if column[0].label.startswith("whole service"):
            best = max(best, median(shares))
        rows.append(
            f"| {column[0].label} | {median(rates):.0f} ({rates[0]:.0f} to {rates[-1]:.0f}) | "
            f"{median(shares):.0%} ({shares[0]:.0%} to {shares[-1]:.0%}) | {_cpu(middle)} | "
            f"{middle.busy:.0%} |"
        )
    verdict = (
        f"**The goal (80 % of the raw loop) is {'met' if best >= 0.8 else 'not met'}: "
        f"{best:.0%} at best (median of the rounds).**"
    )
    section = "\n".join(
        [
            "## Notifications",
            "",
            "Made by `.venv/bin/python -m bench.notifications` (not part of `make test`; "
            "`BENCH_EMAILS` sets the count), which rewrites this section. This machine: "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {EMAILS:,} `volunteer.registered` messages "
            "wait in the notifications queue (published while no worker ran, so the publisher's "
            "work is not in the figure); `python -m notifications worker` processes "
            f"(`WORKER_BATCH={WORKER_BATCH}`) plan and render them, and `python -m notifications "
            "mailer` processes (`MAIL_POLL_SECONDS=0.05`) send them (PostgreSQL) to the "
            "aiosmtpd sink "
            "(`python -m sanctuary_dev.mailsink`, its own process, writing .eml files, to "
            f"{SCRATCH or 'a temporary folder'}); timed from "
            "the first email planned to the last one in the sink. Baseline in the same run: one "
            "smtplib connection sending the same welcome email, composed once, as bytes, back to "
            "back to the same kind of sink: SMTP and the sink and nothing else. It runs before "
            "and after each measurement, which is compared with the mean of the two. Everything "
            "shares the machine's cores: the sink, PostgreSQL and RabbitMQ too.",
            "",
            f"Median of {ROUNDS} rounds (lowest to highest in brackets); the CPU and machine "
            "columns are the median round's; the raw loop's row gives each round's median raw "
            "loop.",
            "",
            "| what | emails/s | against the raw loop | CPU ms per email, by process | machine "
            "busy |",
            "|---|---:|---:|---|---:|",
            *rows,
            "",
            verdict,
            "",
        ]
    )
    report.write_section(section)
    print(section)


if __name__ == "__main__":
    main()
