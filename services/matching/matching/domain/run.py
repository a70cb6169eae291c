"""One matching run: candidates, the optimal assignment, and an explanation for every outcome.

Pure: takes a Population, returns proposals and the unmatched with reasons. The service
stores the proposals; a coordinator approves or rejects each one.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from matching.domain import scoring
from matching.domain.assignment import assign
from matching.domain.candidates import Candidates, generate
from matching.domain.profiles import Population

# Each newcomer keeps their best few hundred candidates: the optimum over that graph is
# what the run guarantees (DOMAIN.md: a few hundred keeps the solve well under a second).
TOP_K = 200
ALTERNATIVES_SHOWN = 2


@dataclass(frozen=True)
class Proposal:
    """A volunteer proposed for a newcomer, with everything a coordinator needs to judge it."""

    volunteer_id: uuid.UUID
    newcomer_id: uuid.UUID
    score: int
    factors: dict[str, int]
    rules_passed: tuple[str, ...]
    not_chosen: tuple[dict[str, object], ...]  # the next-best volunteers and why not them

    def explanation(self) -> dict[str, object]:
        """The explanation stored with the match and shown to coordinators."""
        return {
            "factors": self.factors,
            "rules_passed": list(self.rules_passed),
            "not_chosen": list(self.not_chosen),
        }


@dataclass(frozen=True)
class RunResult:
    """What a run proposes, its total score, and who stays unmatched and why."""

    proposals: tuple[Proposal, ...]
    unmatched: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def total_score(self) -> int:
        """The sum of the proposals' scores: what the assignment maximises."""
        return sum(p.score for p in self.proposals)


def run(population: Population, top_k: int = TOP_K) -> RunResult:
    """Propose the assignment with the highest total score for `population`."""
    candidates = generate(population, top_k=top_k)
    capacity = np.array([v.capacity_left if v.ready else 0 for v in population.volunteers])
    pairs = assign(len(population.newcomers), capacity, candidates)
    chosen = {n: v for n, v in pairs}
    proposals = tuple(_proposal(population, candidates, chosen, n, v) for n, v in pairs)
    unmatched = {
        population.newcomers[i].id: _why_unmatched(population, candidates, i)
        for i in range(len(population.newcomers))
        if i not in chosen
    }
    return RunResult(proposals=proposals, unmatched=unmatched)


def _proposal(
    population: Population, candidates: Candidates, chosen: dict[int, int], n: int, v: int
) -> Proposal:
    newcomer, volunteer = population.newcomers[n], population.volunteers[v]
    breakdown = scoring.score(volunteer, newcomer)
    return Proposal(
        volunteer_id=volunteer.id,
        newcomer_id=newcomer.id,
        score=breakdown.total,
        factors=breakdown.as_dict(),
        rules_passed=scoring.RULES,
        not_chosen=tuple(_not_chosen(population, candidates, chosen, n, v, breakdown.total)),
    )


def _not_chosen(
    population: Population,
    candidates: Candidates,
    chosen: dict[int, int],
    n: int,
    v: int,
    score: int,
) -> list[dict[str, object]]:
    mine = candidates.newcomer == n
    others = [
        (int(s), int(c))
        for s, c in zip(candidates.score[mine], candidates.volunteer[mine], strict=True)
        if c != v
    ]
    others.sort(key=lambda sc: (-sc[0], sc[1]))
    taken = Counter(chosen.values())
    reasons = []
    for other_score, other in others[:ALTERNATIVES_SHOWN]:
        volunteer = population.volunteers[other]
        if taken[other] >= volunteer.capacity_left:
            why = "proposed to other newcomers up to their capacity: the total fit is higher"
        elif other_score < score:
            why = f"a lower score ({other_score} against {score})"
        else:
            why = f"an equal score ({other_score}); the tie went to the earlier volunteer"
        reasons.append({"volunteer_id": str(volunteer.id), "score": other_score, "why": why})
    return reasons


def _why_unmatched(population: Population, candidates: Candidates, n: int) -> str:
    count = int(np.count_nonzero(candidates.newcomer == n))
    if count:
        return (
            f"all {count} eligible volunteers were proposed to others up to their "
            "capacity, where the total fit was higher"
        )
    newcomer = population.newcomers[n]
    near = [
        v for v in population.volunteers if v.district in population.areas_near(newcomer.district)
    ]
    if not near:
        return "no volunteer in the area yet"
    broken = Counter(rule for v in near for rule in scoring.broken_rules(v, newcomer, population))
    rule, times = broken.most_common(1)[0]
    return (
        f"no volunteer in the area meets every rule; most often missing: {rule} "
        f"({times} of {len(near)})"
    )


def suggestions(population: Population, newcomer_id: uuid.UUID, limit: int = 5) -> list[Proposal]:
    """The `limit` best ready volunteers for one newcomer, best first, with explanations."""
    index = next(i for i, n in enumerate(population.newcomers) if n.id == newcomer_id)
    candidates = generate(population, newcomer_indices=[index], top_k=limit)
    order = np.lexsort((candidates.volunteer, -candidates.score))
    return [
        _proposal(population, candidates, {}, index, int(candidates.volunteer[i]))
        for i in order[:limit]
    ]
