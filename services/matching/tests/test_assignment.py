"""The assignment solved on part of the graph and proved optimal for all of it (ADR 46)."""

from __future__ import annotations

import os
import signal
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching.domain import aside, assignment
from matching.domain.assignment import _prices, _shortest_from, _slack, _solve, assign
from matching.domain.candidates import Candidates, generate
from matching.domain.profiles import Population
from matching_strategies import populations
from test_matcher import exact_optimum


def graph(*pairs: tuple[int, int, int]) -> Candidates:
    newcomer, volunteer, score = (np.array(column, np.int64) for column in zip(*pairs, strict=True))
    return Candidates(newcomer, volunteer, score)


def total(candidates: Candidates, pairs: list[tuple[int, int]]) -> int:
    scores = dict(
        zip(
            zip(candidates.newcomer.tolist(), candidates.volunteer.tolist(), strict=True),
            candidates.score.tolist(),
            strict=True,
        )
    )
    return sum(scores[pair] for pair in pairs)


def test_a_first_solve_that_is_not_optimal_is_caught_and_solved_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seeing only each newcomer's best volunteer, one of two newcomers gets A and the other
    nobody (10); A's price is 10 and B's 0, so both pairs with B pay for themselves at those
    prices: they join, and the next solve finds 19."""
    solves: list[int] = []
    solve = assignment._solve

    def counted(
        newcomers: int, capacity: np.ndarray, g: Candidates, kept: np.ndarray
    ) -> np.ndarray:
        solves.append(int(kept.sum()))
        return solve(newcomers, capacity, g, kept)

    monkeypatch.setattr(assignment, "_solve", counted)
    candidates = graph((0, 0, 10), (0, 1, 9), (1, 0, 10), (1, 1, 1))
    pairs = assign(2, np.array([1, 1]), candidates, first_choices=1, margin=0)
    assert pairs == [(0, 1), (1, 0)]
    assert total(candidates, pairs) == 19
    assert solves == [2, 4]


def test_an_optimal_first_solve_stands_with_its_proof() -> None:
    """A left-out pair worth less than its newcomer's and volunteer's prices is never needed:
    one solve, and every pair's slack is >= 0, 0 where chosen."""
    candidates = graph((0, 0, 10), (0, 1, 2), (1, 1, 8), (1, 0, 3))
    kept = np.array([True, False, True, False])
    match = _solve(2, np.array([1, 1]), candidates, kept)
    slack = _slack(2, np.array([1, 1]), candidates, kept, match)
    assert match.tolist() == [0, 1]
    assert slack is not None
    assert (slack >= 0).all()
    assert slack[0] == 0
    assert slack[2] == 0


def test_prices_satisfy_the_duals_and_add_up_to_the_total() -> None:
    """Strong duality: sum(u) + sum(capacity * p) equals the assignment's total score."""
    candidates = graph((0, 0, 10), (0, 1, 9), (1, 0, 10), (1, 1, 1), (2, 1, 4), (2, 2, 5))
    capacity = np.array([1, 1, 2])
    kept = np.ones(6, bool)
    match = _solve(3, capacity, candidates, kept)
    chosen = match[candidates.newcomer] == candidates.volunteer
    won = np.zeros(3, np.int64)
    won[candidates.newcomer[chosen]] = candidates.score[chosen]
    p = _prices(capacity, candidates, kept, match, won)
    assert p is not None
    assert (p >= 0).all()
    u = np.where(match >= 0, won - p[np.maximum(match, 0)], 0)
    assert (u >= 0).all()
    assert (u[candidates.newcomer] + p[candidates.volunteer] >= candidates.score).all()
    assert u.sum() + (capacity * p).sum() == won.sum() == 24


def test_a_negative_cycle_gives_no_prices() -> None:
    """Bellman-Ford that never settles gives up instead of looping: the whole graph is solved."""
    tails, heads = np.array([0, 1, 2]), np.array([1, 2, 1])
    assert _shortest_from(3, 0, tails, heads, np.array([1.0, -2.0, 1.0])) is None
    settled = _shortest_from(3, 0, tails, heads, np.array([1.0, 2.0, 1.0]))
    assert settled is not None
    assert settled.tolist() == [0.0, 1.0, 3.0]


@settings(max_examples=150, deadline=None)
@given(populations(max_people=9), st.integers(1, 3), st.integers(0, 2))
def test_any_first_graph_reaches_the_exact_optimum(
    population: Population, first_choices: int, margin: int
) -> None:
    """However few candidates the first solve sees, the answer is the Hungarian method's."""
    candidates = generate(population, top_k=200)
    capacity = np.array([v.capacity_left if v.ready else 0 for v in population.volunteers])
    pairs = assign(
        len(population.newcomers), capacity, candidates, first_choices=first_choices, margin=margin
    )
    assert len({n for n, _ in pairs}) == len(pairs)
    assert all(sum(1 for _, w in pairs if w == v) <= capacity[v] for v in set(w for _, w in pairs))
    assert total(candidates, pairs) == exact_optimum(population)


def test_a_benchmark_population_reaches_the_whole_graphs_optimum() -> None:
    """2,000 newcomers and 1,000 volunteers of the benchmark's kind: the same total as a solve
    of every pair, starting from each newcomer's best 3."""
    from bench.population import make

    population = make(2_000, 1_000)
    candidates = generate(population, top_k=200)
    capacity = np.array([v.capacity_left for v in population.volunteers])
    whole = _solve(2_000, capacity, candidates, np.ones(len(candidates), bool))
    pairs = assign(2_000, capacity, candidates, first_choices=3)
    matched = np.flatnonzero(whole >= 0)
    assert total(candidates, pairs) == total(
        candidates, list(zip(matched.tolist(), whole[matched].tolist(), strict=True))
    )


def test_large_solves_run_in_a_forked_process_while_the_run_explains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same pairs with every solve forked aside (`ASIDE_FROM` 0), and the caller's work
    done once a solve: before the first with nothing, then with the last solve's match."""
    from bench.population import make

    population = make(2_000, 1_000)
    candidates = generate(population, top_k=200)
    capacity = np.array([v.capacity_left for v in population.volunteers])
    here = assign(2_000, capacity, candidates, first_choices=3)
    monkeypatch.setattr(assignment, "ASIDE_FROM", 0)
    seen: list[np.ndarray | None] = []
    aside_pairs = assign(2_000, capacity, candidates, first_choices=3, while_solving=seen.append)
    assert aside_pairs == here
    assert seen[0] is None
    assert len(seen) >= 2
    assert all(isinstance(match, np.ndarray) and match.shape == (2_000,) for match in seen[1:])


def test_a_call_aside_runs_in_another_process_and_is_made_here_if_that_one_dies() -> None:
    parent = os.getpid()
    pending = aside.start(lambda: np.array([os.getpid()]), 1)
    assert pending is not None
    assert pending.result()[0] != parent

    def dies_aside() -> np.ndarray:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return np.array([7, 8])

    assert aside.Pending(dies_aside, 2).result().tolist() == [7, 8]


def test_nothing_is_forked_in_a_gevent_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn's gevent worker patches os: its hub is not fork-safe in the middle of a request."""
    assert aside.possible()
    patched = types.SimpleNamespace(is_module_patched=lambda name: name == "os")
    monkeypatch.setitem(sys.modules, "gevent.monkey", patched)
    assert not aside.possible()
    assert aside.start(lambda: np.zeros(1, np.int64), 1) is None
