"""Optimal assignment with capacities: a min-cost flow (OR-Tools) over the candidate graph.

source -> each newcomer (capacity 1) -> each candidate volunteer (cost -score) -> sink
(capacity = the volunteer's free places); each newcomer also has a direct arc to the sink at
cost 0, the choice to stay unmatched this run. The cheapest flow of one unit per newcomer is
the assignment with the highest total score. Integer costs: the optimum is exact.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.domain.candidates import Candidates


def assign(newcomers: int, capacity: np.ndarray, candidates: Candidates) -> list[tuple[int, int]]:
    """(newcomer index, volunteer index) pairs of a maximum-total assignment, sorted."""
    if len(candidates) == 0:
        return []
    volunteers = capacity.size
    source, sink, first_newcomer = 0, 1, 2
    first_volunteer = first_newcomer + newcomers
    n_nodes = np.arange(newcomers, dtype=np.int64) + first_newcomer
    v_nodes = np.arange(volunteers, dtype=np.int64) + first_volunteer
    tails = np.concatenate(
        [np.full(newcomers, source), first_newcomer + candidates.newcomer, n_nodes, v_nodes]
    )
    heads = np.concatenate(
        [
            n_nodes,
            first_volunteer + candidates.volunteer,
            np.full(newcomers, sink),
            np.full(volunteers, sink),
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(newcomers, np.int64),
            np.ones(len(candidates), np.int64),
            np.ones(newcomers, np.int64),
            capacity.astype(np.int64),
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(newcomers, np.int64),
            -candidates.score.astype(np.int64),
            np.zeros(newcomers, np.int64),
            np.zeros(volunteers, np.int64),
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_node_supply(source, newcomers)
    flow.set_node_supply(sink, -newcomers)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: status {status}")
    candidate_arcs = arcs[newcomers : newcomers + len(candidates)]
    used = flow.flows(candidate_arcs) > 0
    pairs = zip(
        candidates.newcomer[used].tolist(), candidates.volunteer[used].tolist(), strict=True
    )
    return sorted(pairs)
