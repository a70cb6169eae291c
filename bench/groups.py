"""`python -m bench.groups`: a network of 300 local groups with 100,000 volunteers and 50,000
newcomers. The network-wide run (each group solved on its own, never a pair across groups)
against today's single-pool run of the same people, in one run; writes docs/performance.md.
"""

from __future__ import annotations

import os
import platform
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from matching.domain.groups import run_by_group
from matching.domain.profiles import Population
from matching.domain.run import RunResult, run

from bench.population import make
from bench.report import write_section

GROUPS = 300
NEWCOMERS, VOLUNTEERS = 50_000, 100_000


def grouped(population: Population, groups: int = GROUPS) -> Population:
    """The same people, each in the local group whose block of districts holds theirs: the
    grid's districts cut into `groups` runs of neighbouring districts, as groups cover
    neighbouring postcode areas."""
    districts = sorted(population.neighbours, key=lambda name: int(name[1:]))
    ids = [uuid.UUID(int=g + 1) for g in range(groups)]
    group_of = {name: ids[i * groups // len(districts)] for i, name in enumerate(districts)}
    return replace(
        population,
        volunteers=tuple(replace(v, group_id=group_of[v.district]) for v in population.volunteers),
        newcomers=tuple(replace(n, group_id=group_of[n.district]) for n in population.newcomers),
    )


def timed(
    solve: Callable[[Population], RunResult], population: Population
) -> tuple[float, int, int]:
    """Seconds, total score and people matched of one run."""
    started = time.perf_counter()
    result = solve(population)
    return time.perf_counter() - started, result.total_score, len(result.proposals)


def main() -> None:
    people = make(NEWCOMERS, VOLUNTEERS)
    network = grouped(people)
    single = timed(run, people)  # today's run: one pool, pairs may cross group lines
    by_group = timed(run_by_group, network)
    single_again = timed(run, people)  # again, as the machine's pace drifts
    baseline = (single[0] + single_again[0]) / 2
    section = "\n".join(
        [
            "## Local groups: a network-wide run",
            "",
            "Made by `.venv/bin/python -m bench.groups` (not part of `make test`), which "
            f"rewrites this section. This machine: {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
            f"{VOLUNTEERS:,} ready volunteers and {NEWCOMERS:,} waiting newcomers from "
            "`bench/population.py` (seeded), in "
            f"{GROUPS} local groups of neighbouring districts. The baseline is today's "
            "single-pool run of the same people, measured before and after in the same run "
            "(its mean is the figure).",
            "",
            "| run | seconds | vs single pool | total score | matched |",
            "|---|---:|---:|---:|---:|",
            f"| single pool (baseline) | {baseline:.2f} | 1.00 | {single[1]:,} | {single[2]:,} |",
            f"| network-wide, each of {GROUPS} groups on its own | {by_group[0]:.2f} | "
            f"{by_group[0] / baseline:.2f} | {by_group[1]:,} | {by_group[2]:,} |",
            "",
            "The grouped run matches fewer than the single pool only where a newcomer's best "
            "volunteer lives across a group's line: pairs never cross groups.",
            "",
        ]
    )
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
