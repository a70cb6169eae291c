"""The trials' table, written into docs/reliability.md as its "## `make chaos`" section."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench.report import write_section as write_into
from chaos.runner import Outcome

REPORT = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
ABOUT = {
    "sustained": "none: a high steady rate (CHAOS_STEADY_RATE) for 5 minutes, and its CPU",
    "kills": "SIGKILL of a worker, relay, clock or mailer every 3 s, started again 0.5 s later",
    "broker": "RabbitMQ stopped (`stop_app`: connections closed, port refused) for 60 s",
    "cluster": "3-node cluster, quorum queues: the node all clients used SIGKILLed, back 30 s on",
    "database": "PostgreSQL crashed (`pg_ctl stop -m immediate`), back 30 s later",
    "smtp": "SMTP answers 451 to all for 120 s; 1 sign-up in 10 to a mailbox it refuses (550)",
    "poison": "4 kinds of poison into each of the 4 queues, then `parked replay --all`",
}


def _row(o: Outcome, made: str) -> str:
    refused = ", ".join(f"{n} x {s or 'no answer'}" for s, n in sorted(o.refused.items())) or "none"
    recovered = "" if o.recovered_seconds is None else f"{o.recovered_seconds} s"
    figures = "; ".join(f"{k}: {v}" for k, v in o.figures.items())
    return (
        f"| {o.trial} | {ABOUT.get(o.trial, '')} | {made} | {o.sent} | {o.accepted} | "
        f"{refused} | {o.lost} | {o.duplicated} | {o.places} | {recovered} | {o.restarts} | "
        f"{o.deepest_queue} | {figures} |"
    )


HEADER = (
    "| trial | fault | made | sent | accepted | not accepted | lost | duplicated | event | "
    "recovered | restarts | deepest queue | figures |"
)


def _kept_rows(rerun: set[str]) -> dict[str, str]:
    """The rows of the section as it stands, by trial, but those run again now."""
    text = REPORT.read_text() if REPORT.exists() else ""
    section = text.partition("## `make chaos`\n")[2].partition("\n## ")[0]
    if HEADER not in section:
        return {}
    rows = section.partition(HEADER)[2].splitlines()[2:]
    found = {row.split("|")[1].strip(): row for row in rows if row.startswith("| ")}
    return {trial: row for trial, row in found.items() if trial not in rerun}


def write_section(outcomes: list[Outcome], rate: float, steady_rate: float, scale: float) -> None:
    """Rewrite the section: the trials run now, and the rows of the others as they were."""
    made = f"{datetime.now(UTC):%Y-%m-%d}, {{rate:g}}/s, lengths x{scale:g}"
    rows = _kept_rows({o.trial for o in outcomes})
    for o in outcomes:
        rows[o.trial] = _row(o, made.format(rate=steady_rate if o.trial == "sustained" else rate))
    order = list(ABOUT)
    lines = [
        "## `make chaos`",
        "",
        f"Made by `make chaos` ({platform.machine()}, {os.cpu_count()} cores; `make chaos "
        'TRIALS="…"` reruns some, and rewrites their rows only). Each trial sends requests at '
        "its rate (one in five a registration for the trial's event), with every process of "
        "the system running as compose runs it, supervised (started again when it ends), on a "
        "PostgreSQL cluster and RabbitMQ node(s) the command starts and removes.",
        "",
        "**lost**: an accepted (202) request whose email never came, or a sign-up missing "
        "from matching's database; **duplicated**: a person with two emails; **recovered**: "
        "from the fault's end to the last accepted person's email; **restarts**: processes "
        "the supervisor started again; **deepest queue**: the most messages waiting in a "
        "service's queue, looked at every 5 s.",
        "",
        HEADER,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(rows[t] for t in sorted(rows, key=lambda t: order.index(t) if t in order else 99)),
    ]
    write_into("\n".join(lines) + "\n", REPORT)
