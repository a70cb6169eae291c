"""The "Notifications" section of docs/performance.md, from what `bench.notifications` measured."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median

from bench import report


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


@dataclass(frozen=True)
class Settings:
    """What the bench ran with, as the section says it."""

    emails: int
    worker_batch: int
    rounds: int
    scratch: str | None


def _cpu(run: Run) -> str:
    return ", ".join(f"{kind} {ms:.2f}" for kind, ms in run.cpu_ms.items())


def rows_of(rounds: list[list[Run]]) -> tuple[list[str], float]:
    """One row per configuration: the median over the rounds, and each figure as a share of
    the raw loops run just before and after it (the raw loop's row: each round's median); and
    the best whole-service share."""
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
    return rows, best


def _intro(settings: Settings) -> str:
    """How the figures below were made, in one paragraph."""
    return (
        "Made by `.venv/bin/python -m bench.notifications` (not part of `make test`; "
        "`BENCH_EMAILS` sets the count), which rewrites this section. This machine: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {settings.emails:,} `volunteer.registered` "
        "messages wait in the notifications queue (published while no worker ran, so the "
        "publisher's work is not in the figure); `python -m notifications worker` processes "
        f"(`WORKER_BATCH={settings.worker_batch}`) plan and render them, and "
        "`python -m notifications mailer` processes (`MAIL_POLL_SECONDS=0.05`) send them "
        "(PostgreSQL) to the aiosmtpd sink (`python -m sanctuary_dev.mailsink`, its own "
        f"process, writing .eml files, to {settings.scratch or 'a temporary folder'}); timed "
        "from the first email planned to the last one in the sink. Baseline in the same run: "
        "one smtplib connection sending the same welcome email, composed once, as bytes, back "
        "to back to the same kind of sink: SMTP and the sink and nothing else. It runs before "
        "and after each measurement, which is compared with the mean of the two. Everything "
        "shares the machine's cores: the sink, PostgreSQL and RabbitMQ too."
    )


def write_section(rounds: list[list[Run]], settings: Settings) -> None:
    """The "Notifications" section of docs/performance.md, from the rounds' figures."""
    rows, best = rows_of(rounds)
    verdict = (
        f"**The goal (80 % of the raw loop) is {'met' if best >= 0.8 else 'not met'}: "
        f"{best:.0%} at best (median of the rounds).**"
    )
    section = "\n".join(
        [
            "## Notifications",
            "",
            _intro(settings),
            "",
            f"Median of {settings.rounds} rounds (lowest to highest in brackets); the CPU and "
            "machine columns are the median round's; the raw loop's row gives each round's "
            "median raw loop.",
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
