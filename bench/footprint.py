"""`python -m bench.footprint`: the memory of the whole system at rest, as `make run` starts
it (every Procfile process, on SQLite), by process; writes docs/performance.md.

Resident (RSS) counts each process's pages whole, shared ones too; proportional (PSS)
divides a shared page among the processes sharing it, so the processes' PSS add up to what
the system really holds. The SMTP sink runs in this process, not in the system.
"""

from __future__ import annotations

import os
import platform
import re
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sanctuary.config import DEFAULT_AMQP_URL
from sanctuary_dev import mailsink
from sanctuary_dev.processes import running_system
from sanctuary_dev.servers import private_vhost

from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
SETTLE_SECONDS = 20.0  # after the gateway answers: every process started and idle
GOAL_MIB = 700


def system_pids(var_dir: Path) -> list[int]:
    """The processes started for this run: those whose environment holds its VAR_DIR."""
    marker = f"VAR_DIR={var_dir}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # gone, or not ours
    return found


def memory(pid: int) -> tuple[str, int, int]:
    """(what the process runs, RSS KiB, PSS KiB)."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    rss = int(re.search(r"^Rss:\s+(\d+)", rollup, re.M).group(1))  # type: ignore[union-attr]
    pss = int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))  # type: ignore[union-attr]
    return kind(command), rss, pss


def kind(command: str) -> str:
    """A process's line in the table: `gateway web (gunicorn)`, `matching relay`."""
    if "gunicorn" in command:
        app = re.search(r"(\w+)\.entrypoints\.web", command)
        return f"{app.group(1) if app else '?'} web (gunicorn)"
    found = re.search(r"-m (\w+) (\w+)", command)
    if found:
        return f"{found.group(1)} {found.group(2)}"
    if "sanctuary_dev.procfile" in command:
        return "the Procfile runner (make run)"
    return command.split(" ")[0]


def history(total_mib: float) -> str:
    """The goal, and how the figure came down to where it is."""
    return (
        f"Goal (issue 17): under {GOAL_MIB} MiB resident in all"
        f"{'; reached' if total_mib < GOAL_MIB else '; not reached'}. The issue "
        "measured 1,458 MiB resident (963 MiB proportional) in 35 processes. Since then the "
        "solver's imports left the matching processes that never solve (numpy and OR-Tools "
        "cost each about 30 MiB); `make run` runs the Procfile with `sanctuary_dev.procfile`, "
        "one process, where honcho forked one Python process per line (16 processes, 247 MiB "
        "resident); and it runs each service's worker, relay and clock or mailer as threads "
        "of one `background` process (`sanctuary.cli.run_together`), where each had held "
        "65-76 MiB of its own (SQLAlchemy, kombu and psycopg alone are 46 MiB). Last, 802 "
        "MiB came to this: alembic (with mako, 7 MiB a process) is imported only by "
        "`migrate` and by the schema check at start, which a background process makes in a "
        "forked child (`sanctuary.preflight.database_problem_apart`); and matching's clock "
        "makes the day's run in a Python process of its own, which takes the solver's "
        "numpy and OR-Tools (about 35 MiB) with it when it ends. Each web process is still "
        "a gunicorn master (31 MiB) beside its worker."
    )


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        private_vhost(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)) as amqp_url,
    ):
        sink = mailsink.start(Path(scratch) / "mail")
        var_dir = Path(scratch) / "var"
        try:
            with running_system(ROOT, amqp_url, var_dir, sink.port):
                time.sleep(SETTLE_SECONDS)
                samples = [memory(pid) for pid in system_pids(var_dir)]
        finally:
            sink.stop()
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for name, rss, pss in samples:
        rows[name][0] += 1
        rows[name][1] += rss
        rows[name][2] += pss
    total_rss, total_pss = sum(s[1] for s in samples), sum(s[2] for s in samples)
    lines = [
        "## Footprint: make run at rest",
        "",
        f"Made by `.venv/bin/python -m bench.footprint` (not part of `make test`), which "
        f"rewrites this section. This machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The system as "
        f"`make run` starts it (SQLite, the Procfile's processes, the SMTP sink outside), "
        f"{SETTLE_SECONDS:.0f} s after the gateway first answers, nothing asked of it. "
        "Resident memory counts shared pages in every process that maps them; proportional "
        "memory shares them out, so it adds up to what the system holds.",
        "",
        "| processes | how many | resident MiB | proportional MiB |",
        "|---|---:|---:|---:|",
        *[
            f"| {name} | {count} | {rss / 1024:.0f} | {pss / 1024:.0f} |"
            for name, (count, rss, pss) in sorted(rows.items(), key=lambda r: -r[1][1])
        ],
        f"| **all** | {len(samples)} | {total_rss / 1024:.0f} | {total_pss / 1024:.0f} |",
        "",
        history(total_rss / 1024),
        "",
    ]
    write_section("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
