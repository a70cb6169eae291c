"""`python -m chaos [trial ...]` (`make chaos`): the fault trials, each under load through every
process of the system, on a PostgreSQL cluster and RabbitMQ node(s) of their own started on
loopback ports under a scratch folder (never the machine's shared servers); the table goes
into docs/reliability.md between the chaos markers.

CHAOS_RATE sets the load (requests a second, one in five a registration; 20) under faults,
CHAOS_STEADY_RATE the sustained trial's (150, no fault, 5 minutes, with the CPU it cost
against the raw steps' in the same run), CHAOS_SCALE the trials' lengths (1: 5 minutes of
kills, the broker away 60 s, the database 30 s, SMTP 2 minutes), CHAOS_DIR the scratch folder
(a new one under /tmp). Name trials to run only those.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

from chaos import trials
from chaos.report import ABOUT, write_section
from chaos.runner import Outcome, Setting, run_trial
from chaos.servers import PostgresCluster, RabbitNode, rabbit_nodes
from chaos.steady import RATE as STEADY_RATE
from chaos.steady import raw_steps

RATE = float(os.environ.get("CHAOS_RATE", "20"))
# name: (the fault, nodes in the RabbitMQ cluster, every how many sign-ups a 550 address)
TRIALS: dict[str, tuple[Callable[..., float], int, int]] = {
    "sustained": (trials.sustained, 1, 0),
    "kills": (trials.kills, 1, 0),
    "broker": (trials.broker_away, 1, 0),
    "cluster": (trials.node_lost, 3, 0),
    "database": (trials.database_away, 1, 0),
    "smtp": (trials.smtp_refusing, 1, 10),
    "poison": (trials.poison, 1, 0),
}


def _interrupted(*_: object) -> None:
    raise KeyboardInterrupt  # as Ctrl-C: every server and process started is stopped


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    chosen = argv or list(TRIALS)
    unknown = set(chosen) - set(TRIALS)
    if unknown:
        print(f"no such trial: {', '.join(sorted(unknown))}; choose from {', '.join(TRIALS)}")
        return 2
    folder = Path(os.environ.get("CHAOS_DIR") or tempfile.mkdtemp(prefix="chaos-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"chaos: scratch folder {folder} (servers' data and every process's log)", flush=True)
    postgres = PostgresCluster(folder / "postgres")
    postgres.start()
    setting = Setting(folder, postgres, RATE)
    outcomes: list[Outcome] = []
    started = time.time()
    try:
        for name in chosen:
            outcomes.append(_one(name, setting))
            print(json.dumps(asdict(outcomes[-1])), flush=True)
    finally:
        postgres.stop()
    write_section(outcomes, RATE, STEADY_RATE, trials.SCALE)
    print(f"chaos: {(time.time() - started) / 60:.0f} minutes", flush=True)
    bad = [o.trial for o in outcomes if o.lost or o.duplicated or "NOT SOUND" in o.places]
    if bad:
        print(f"chaos: lost or duplicated in {', '.join(bad)}")
    return 1 if bad else 0


def _one(name: str, setting: Setting) -> Outcome:
    fault, how_many, bounce_every = TRIALS[name]
    print(f"chaos: {name}: {ABOUT[name]}", flush=True)
    nodes: list[RabbitNode] = rabbit_nodes(setting.folder / f"rabbit-{name}", how_many)
    try:
        if name != "sustained":
            return run_trial(name, setting, fault, nodes, bounce_every)
        outcome = run_trial(name, replace(setting, rate=STEADY_RATE), fault, nodes)
        for step, cpu in raw_steps(nodes[0], setting.folder).items():
            outcome.figures[f"raw CPU ms, {step}"] = round(cpu, 2)
        return outcome
    finally:
        for node in nodes:
            node.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
