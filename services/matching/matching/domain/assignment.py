"""Optimal assignment with capacities: a min-cost flow (OR-Tools) over the candidate graph,
solved on a small part of the graph and proved optimal for all of it (ADR 46).

The flow: source -> each newcomer (capacity 1) -> each candidate volunteer (cost -score) ->
sink (capacity = the volunteer's free places); each newcomer also has a direct arc to the
sink at cost 0, the choice to stay unmatched this run. The cheapest flow of one unit per
newcomer is the assignment with the highest total score. Integer costs: the optimum is exact.

Most of a newcomer's candidates never matter, and the solver's time grows with the arcs it
is given. So the first solve sees each newcomer's FIRST_CHOICES best candidates. Its optimum
comes with prices (the linear programme's duals, `_prices`): `u` for each newcomer, `p` for
each volunteer's place. If no left-out pair scores more than `u + p`, the prices prove that
no assignment of the whole graph scores more (weak duality), and the answer stands. Else the
pairs within MARGIN of it join the graph and it is solved again; after MAX_ROUNDS the whole
graph is solved. The proof is checked on every pair, so the answer never rests on a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.domain import aside
from matching.domain.candidates import Candidates

FIRST_CHOICES = 20  # each newcomer's best candidates in the first solve
MARGIN = 2  # a left-out pair this close to paying for itself joins the next solve
MAX_ROUNDS = 4  # then the whole graph
_PASSES = 500  # Bellman-Ford passes before the prices are given up (about 40 settle them)
# A solve of this many pairs or more runs in a forked process (`aside`) while the run explains
# what it can: 0.4-0.6 s of each solve's 6 s at 100,000 x 50,000 (ADR 46).
ASIDE_FROM = 500_000


def assign(
    newcomers: int,
    capacity: np.ndarray,
    candidates: Candidates,
    *,
    first_choices: int = FIRST_CHOICES,
    margin: int = MARGIN,
    while_solving: Callable[[np.ndarray | None], object] | None = None,
) -> list[tuple[int, int]]:
    """(newcomer index, volunteer index) pairs of a maximum-total assignment, sorted.

    `while_solving(match)` is called once a solve, with the last solve's match (None before
    the first): work that does not need the answer, done meanwhile (`_solved`)."""
    if len(candidates) == 0:
        return []
    kept = _ranks(candidates) < first_choices
    match = None
    for _ in range(MAX_ROUNDS):
        if kept.all():
            break
        match = _solved(newcomers, capacity, candidates, kept, while_solving, match)
        slack = _slack(newcomers, capacity, candidates, kept, match)
        if slack is not None and bool((slack >= 0).all()):
            return _pairs(match)
        if slack is None:
            break
        kept |= slack < margin
    everything = np.ones(len(candidates), bool)
    return _pairs(_solved(newcomers, capacity, candidates, everything, while_solving, match))


def _solved(
    newcomers: int,
    capacity: np.ndarray,
    candidates: Candidates,
    kept: np.ndarray,
    while_solving: Callable[[np.ndarray | None], object] | None,
    last: np.ndarray | None,
) -> np.ndarray:
    """`_solve`, with `while_solving(last)` done meanwhile: beside the solve, which runs in
    a forked process (`aside`) when it is large enough for that to pay, else before it."""
    solve = partial(_solve, newcomers, capacity, candidates, kept)
    if while_solving is None:
        return solve()
    large = int(np.count_nonzero(kept)) >= ASIDE_FROM
    pending = aside.start(solve, newcomers) if large else None
    try:
        while_solving(last)
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise
    return solve() if pending is None else pending.result()


def _ranks(candidates: Candidates) -> np.ndarray:
    """Each pair's place among its newcomer's candidates, best first (0 = best): counted
    along the arrays when each newcomer's pairs come together best first (as `generate`
    gives them), else after sorting."""
    newcomer, score = candidates.newcomer, candidates.score
    first = np.r_[True, newcomer[1:] != newcomer[:-1]]
    starts = np.flatnonzero(first)
    grouped = starts.size == np.count_nonzero(np.bincount(newcomer))
    if grouped and not bool(((score[1:] > score[:-1]) & ~first[1:]).any()):
        return np.arange(newcomer.size) - np.repeat(starts, np.diff(np.r_[starts, newcomer.size]))
    order = np.lexsort((candidates.volunteer, -score, newcomer))
    rank = np.empty(newcomer.size, np.int64)
    rank[order] = _ranks(Candidates(newcomer[order], candidates.volunteer[order], score[order]))
    return rank


def _solve(
    newcomers: int, capacity: np.ndarray, candidates: Candidates, kept: np.ndarray
) -> np.ndarray:
    """Each newcomer's volunteer (-1: none) in an optimum over the `kept` pairs."""
    newcomer, volunteer = candidates.newcomer[kept], candidates.volunteer[kept]
    volunteers = capacity.size
    source, sink, first_newcomer = 0, 1, 2
    first_volunteer = first_newcomer + newcomers
    n_nodes = np.arange(newcomers, dtype=np.int64) + first_newcomer
    v_nodes = np.arange(volunteers, dtype=np.int64) + first_volunteer
    ones, zeros = np.ones(newcomers, np.int64), np.zeros(newcomers, np.int64)
    tails = np.concatenate(
        [np.full(newcomers, source), first_newcomer + newcomer, n_nodes, v_nodes]
    )
    heads = np.concatenate(
        [n_nodes, first_volunteer + volunteer, np.full(newcomers, sink), np.full(volunteers, sink)]
    )
    capacities = np.concatenate(
        [ones, np.ones(newcomer.size, np.int64), ones, capacity.astype(np.int64)]
    )
    costs = np.concatenate(
        [zeros, -candidates.score[kept].astype(np.int64), zeros, np.zeros(volunteers, np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_node_supply(source, newcomers)
    flow.set_node_supply(sink, -newcomers)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: status {status}")
    used = flow.flows(arcs[newcomers : newcomers + newcomer.size]) > 0
    match = np.full(newcomers, -1, np.int64)
    match[newcomer[used]] = volunteer[used]
    return match


def _pairs(match: np.ndarray) -> list[tuple[int, int]]:
    matched = np.flatnonzero(match >= 0)
    return list(zip(matched.tolist(), match[matched].tolist(), strict=True))


def _slack(
    newcomers: int,
    capacity: np.ndarray,
    candidates: Candidates,
    kept: np.ndarray,
    match: np.ndarray,
) -> np.ndarray | None:
    """`u + p - score` of every pair, by prices proving `match` optimal over the `kept` pairs
    (each >= 0 proves it optimal over all); None if no such prices were found."""
    score = candidates.score.astype(np.int64)
    won = np.zeros(newcomers, np.int64)  # the score of each newcomer's pair, 0 if none
    chosen = match[candidates.newcomer] == candidates.volunteer
    won[candidates.newcomer[chosen]] = score[chosen]
    p = _prices(capacity, candidates, kept, match, won)
    if p is None:
        return None
    u = np.where(match >= 0, won - p[np.maximum(match, 0)], 0.0)
    return u[candidates.newcomer] + p[candidates.volunteer] - score


def _prices(
    capacity: np.ndarray,
    candidates: Candidates,
    kept: np.ndarray,
    match: np.ndarray,
    won: np.ndarray,
) -> np.ndarray | None:
    """Each volunteer's price p (u follows: a matched newcomer's u = its score - p of its
    volunteer, else 0), satisfying the duals' constraints as differences, with a node z at 0:

    - a newcomer matched to v, with another kept pair w: p_v - p_w <= s_nv - s_nw (arc w->v);
    - an unmatched newcomer's kept pair w: p_w >= s_nw (arc w->z weighing -s_nw);
    - u >= 0: p_v <= s_nv (arc z->v); p >= 0 (arc v->z, 0); a place left: p_v <= 0 (z->v, 0).

    Shortest distances from z satisfy them all (Bellman-Ford, a pass a numpy step); the
    solve's optimality means no negative cycle, and the passes are capped all the same."""
    volunteers, z = capacity.size, capacity.size
    n, w, s = candidates.newcomer[kept], candidates.volunteer[kept], candidates.score[kept]
    m = match[n]
    other = m != w
    to_match, to_zero = other & (m >= 0), other & (m < 0)
    matched = np.flatnonzero(match >= 0)
    load = np.bincount(match[matched], minlength=volunteers)
    open_ = np.flatnonzero(load < capacity)
    tails = np.concatenate(
        [w[to_match], w[to_zero], np.full(matched.size + open_.size, z), np.arange(volunteers)]
    )
    heads = np.concatenate(
        [m[to_match], np.full(int(to_zero.sum()), z), match[matched], open_, np.full(volunteers, z)]
    )
    weights = np.concatenate(
        [
            won[n[to_match]] - s[to_match],
            -s[to_zero].astype(np.int64),
            won[matched],
            np.zeros(open_.size + volunteers, np.int64),
        ]
    )
    distance = _shortest_from(volunteers + 1, z, tails, heads, weights.astype(np.float64))
    if distance is None or distance[z] != 0:
        return None
    return distance[:volunteers]


def _shortest_from(
    nodes: int, origin: int, tails: np.ndarray, heads: np.ndarray, weights: np.ndarray
) -> np.ndarray | None:
    """Bellman-Ford from `origin`, all arcs relaxed at once in each pass; None after _PASSES
    passes without settling (a negative cycle)."""
    order = np.argsort(heads, kind="stable")
    tails, heads, weights = tails[order], heads[order], weights[order]
    targets, starts = np.unique(heads, return_index=True)
    distance = np.full(nodes, np.inf)
    distance[origin] = 0.0
    for _ in range(_PASSES):
        best = np.minimum.reduceat(distance[tails] + weights, starts)
        better = best < distance[targets]
        if not better.any():
            return distance
        distance[targets[better]] = best[better]
    return None
