"""`python -m bench.matching`: the matcher against a greedy baseline, in one run.

Reports time (candidates, solve, explanations), total score, people matched, peak memory,
the gap to an independent exact optimum on the same candidate graph (scipy), and the time
to suggest volunteers for one newcomer; writes docs/performance.md.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import numpy as np
from matching.domain import assignment
from matching.domain import run as matching_run
from matching.domain.assignment import ASIDE_FROM, FIRST_CHOICES, assign
from matching.domain.candidates import Candidates, generate
from matching.domain.profiles import Population
from matching.domain.run import TOP_K, run, suggestions
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from bench.population import make
from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]


def greedy(population: Population, candidates: Candidates) -> tuple[int, int]:
    """The baseline: best pairs first, take each if both sides are still free."""
    order = np.lexsort((candidates.volunteer, candidates.newcomer, -candidates.score))
    left = [v.capacity_left for v in population.volunteers]
    taken: set[int] = set()
    total = 0
    for i in order.tolist():
        n, v = int(candidates.newcomer[i]), int(candidates.volunteer[i])
        if n not in taken and left[v] > 0:
            taken.add(n)
            left[v] -= 1
            total += int(candidates.score[i])
    return total, len(taken)


def scipy_optimum(population: Population, candidates: Candidates) -> int:
    """An independent exact optimum on the same graph: LAPJVsp over capacity slots, with one
    zero-gain 'unmatched' column per newcomer (costs shifted to stay positive)."""
    slot_of: list[list[int]] = []
    first = 0
    for v in population.volunteers:
        slot_of.append(list(range(first, first + v.capacity_left)))
        first += v.capacity_left
    n = len(population.newcomers)
    rows, cols, cost = [], [], []
    big = int(candidates.score.max()) + 1
    for nn, vv, s in zip(
        candidates.newcomer.tolist(),
        candidates.volunteer.tolist(),
        candidates.score.tolist(),
        strict=True,
    ):
        for slot in slot_of[vv]:
            rows.append(nn)
            cols.append(slot)
            cost.append(big - s)
    rows += list(range(n))
    cols += [first + i for i in range(n)]
    cost += [big] * n
    graph = csr_matrix((cost, (rows, cols)), shape=(n, first + n))
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    weights = np.asarray(graph[matched_rows, matched_cols]).ravel()
    return int(sum(big - w for w in weights.tolist() if w != big))


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    """The high-water mark of this process, or (RUSAGE_CHILDREN) of its largest child."""
    return resource.getrusage(who).ru_maxrss / 1024


def measure(newcomers: int, volunteers: int, check_exact: bool) -> dict[str, object]:
    population = make(newcomers, volunteers)
    start = time.perf_counter()
    candidates = generate(population, top_k=TOP_K)
    generated = time.perf_counter()
    capacity = np.array([v.capacity_left for v in population.volunteers])
    pairs = assign(newcomers, capacity, candidates)
    solved = time.perf_counter()
    result = run(population)  # the whole run as the service calls it, explanations included
    whole = time.perf_counter() - solved
    lookup = {
        (int(n), int(v)): int(s)
        for n, v, s in zip(candidates.newcomer, candidates.volunteer, candidates.score, strict=True)
    }
    optimal_total = sum(lookup[p] for p in pairs)
    assert optimal_total == result.total_score
    greedy_total, greedy_matched = greedy(population, candidates)
    figures: dict[str, object] = {
        "size": f"{newcomers:,} newcomers x {volunteers:,} volunteers",
        "edges": len(candidates),
        "candidates_s": generated - start,
        "solve_s": solved - generated,
        "run_s": whole,
        "total": optimal_total,
        "matched": len(pairs),
        "greedy_total": greedy_total,
        "greedy_matched": greedy_matched,
        "peak_mib": peak_mib(),
        "aside_mib": peak_mib(resource.RUSAGE_CHILDREN),
    }
    if check_exact:
        figures["exact_total"] = scipy_optimum(population, candidates)
    one = population.newcomers[0].id
    samples = []
    for _ in range(20):
        t = time.perf_counter()
        suggestions(population, one)
        samples.append(time.perf_counter() - t)
    figures["suggest_ms"] = statistics.median(samples) * 1000
    return figures


def speedups(newcomers: int, volunteers: int, rounds: int = 2) -> list[tuple[str, float]]:
    """The whole run's seconds (best of `rounds`, taken in turn) as the service runs it, and
    with each of its own speed-ups left out: what each is worth, in the same run."""
    population = make(newcomers, volunteers)
    ways: dict[str, AbstractContextManager[object]] = {
        "as the service runs it": nullcontext(),
        "without the solves forked aside (ADR 46)": patch.object(
            assignment, "ASIDE_FROM", len(population.newcomers) * len(population.volunteers)
        ),
        "without the collector kept off the population (ADR 46)": patch.object(
            matching_run, "_collector_off_population", nullcontext
        ),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(rounds):
        for name, way in ways.items():
            with way:
                start = time.perf_counter()
                run(population)
                best[name] = min(best[name], time.perf_counter() - start)
    return list(best.items())


def main() -> None:
    rows = [measure(10_000, 5_000, check_exact=True), measure(100_000, 50_000, check_exact=False)]
    worth = speedups(100_000, 50_000)
    lines = [
        "# Performance",
        "",
        "## Matching",
        "",
        "Made by `.venv/bin/python -m bench.matching` (not part of `make test`), which rewrites "
        f"this section. This machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Populations "
        "from `bench/population.py` (seeded): 50 volunteers a district on a grid of "
        f"neighbouring districts, capacity 1-3, each newcomer keeping their best {TOP_K} "
        "candidates. The solve starts from each newcomer's best "
        f"{FIRST_CHOICES} and proves its optimum over all of them, solving again where the "
        "proof fails (ADR 46). Greedy baseline: best-scoring pairs first, in the same run, on "
        "the same candidate graph.",
        "",
        "| size | candidate pairs | candidates s | solve s | whole run s (with explanations) "
        "| total | matched | greedy total | greedy matched | optimal vs greedy | exact optimum "
        "(scipy, same graph) | suggestions ms | peak MiB | solver process peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        gain = (r["total"] / r["greedy_total"] - 1) * 100  # type: ignore[operator]
        exact = r.get("exact_total", "not run")
        lines.append(
            f"| {r['size']} | {r['edges']:,} | {r['candidates_s']:.2f} | {r['solve_s']:.2f} | "
            f"{r['run_s']:.2f} | {r['total']:,} | {r['matched']:,} | {r['greedy_total']:,} | "
            f"{r['greedy_matched']:,} | +{gain:.2f} % | {exact} | {r['suggest_ms']:.1f} | "
            f"{r['peak_mib']:.0f} | {r['aside_mib']:.0f} |"
        )
    lines += [
        "",
        "Peak memory is the process's high-water mark after that row (cumulative). A run's "
        f"solves of {ASIDE_FROM:,} pairs or more run in a forked process while the run "
        "explains what it can (`matching.domain.aside`): its high-water mark is the last "
        "column (it shares the run's memory until either writes, so the two do not add up).",
        "",
        "The whole 100,000 x 50,000 run with each of its own speed-ups left out, best of two "
        "runs taken in turn in this process:",
        "",
        "| run | seconds |",
        "|---|---:|",
        *[f"| {name} | {seconds:.2f} |" for name, seconds in worth],
        "",
    ]
    section = "\n".join(lines[2:])  # from "## Matching" on
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
