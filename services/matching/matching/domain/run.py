"""One matching run: candidates, the optimal assignment, and an explanation for every outcome.

Pure: takes a Population, returns proposals and the unmatched with reasons. The service
stores the proposals; a coordinator approves or rejects each one.
"""

from __future__ import annotations

import gc
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

import numpy as np

from matching.domain import scoring
from matching.domain.assignment import assign
from matching.domain.candidates import Candidates, generate
from matching.domain.outcomes import TOP_K, Proposal, RunResult, Why
from matching.domain.profiles import Population

ALTERNATIVES_SHOWN = 2
DIAGNOSED = 12  # volunteers checked to say why nobody in the area fits a newcomer


def run(population: Population, top_k: int = TOP_K) -> RunResult:
    """Propose the assignment with the highest total score for `population`."""
    with _collector_off_population():
        candidates = generate(population, top_k=top_k)
        capacity = np.array([v.capacity_left if v.ready else 0 for v in population.volunteers])
        explain = _Explainer(population, candidates)
        pairs = assign(
            len(population.newcomers), capacity, candidates, while_solving=explain.prepare
        )
        explain.choose(pairs)
        proposals = tuple(explain.proposal(n, v) for n, v in pairs)
        unmatched = {
            newcomer.id: explain.why_unmatched(i)
            for i, newcomer in enumerate(population.newcomers)
            if i not in explain.chosen
        }
    return RunResult(proposals=proposals, unmatched=unmatched)


@contextmanager
def _collector_off_population() -> Iterator[None]:
    """Every object alive before the run (the population above all) is left out of the
    garbage collector's full passes until the run ends: each pass would walk all of them while
    the run makes its explanations (0.1-1.5 s of 16.5 at 100,000 x 50,000, ADR 46). Objects
    the run makes are collected as usual; the frozen ones go back to the collector afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Explainer:
    """Explanations for one run, with each newcomer's candidates found in O(1)."""

    def __init__(self, population: Population, candidates: Candidates) -> None:
        self.population = population
        self.chosen: dict[int, int] = {}
        self.load: Counter[int] = Counter()
        self.volunteer, self.score, self.start, self.end = _slices(
            candidates, len(population.newcomers)
        )
        self.by_district: dict[str, list[int]] = {}
        for i, v in enumerate(population.volunteers):
            self.by_district.setdefault(v.district, []).append(i)
        # Worked out by `prepare` while the assignment is solved.
        self._breakdowns: dict[tuple[int, int], scoring.Breakdown] = {}
        self._diagnosed: dict[int, Why] = {}

    def prepare(self, match: np.ndarray | None) -> None:
        """What can be explained before the assignment is known: before the first solve, why
        each newcomer without a candidate has none; after one, the score breakdowns of its
        pairs (most stay in the final assignment)."""
        if match is None:
            for n in np.flatnonzero(self.start == self.end).tolist():
                self._diagnosed[n] = self._diagnose(n)
            return
        volunteers, newcomers = self.population.volunteers, self.population.newcomers
        for n in np.flatnonzero(match >= 0).tolist():
            pair = (n, int(match[n]))
            if pair not in self._breakdowns:
                self._breakdowns[pair] = scoring.score(volunteers[pair[1]], newcomers[n])

    def choose(self, pairs: list[tuple[int, int]]) -> None:
        """The assignment to explain."""
        self.chosen = dict(pairs)
        self.load = Counter(self.chosen.values())

    def proposal(self, n: int, v: int) -> Proposal:
        newcomer, volunteer = self.population.newcomers[n], self.population.volunteers[v]
        breakdown = self._breakdowns.get((n, v)) or scoring.score(volunteer, newcomer)
        total = breakdown.total
        return Proposal(
            volunteer_id=volunteer.id,
            newcomer_id=newcomer.id,
            score=total,
            factors=breakdown.as_dict(),
            rules_passed=scoring.RULES,
            not_chosen=tuple(self._not_chosen(n, v, total)),
            not_used=tuple(scoring.not_used(volunteer, newcomer)),
        )

    def _not_chosen(self, n: int, v: int, score: int) -> list[dict[str, object]]:
        reasons: list[dict[str, object]] = []
        for i in range(int(self.start[n]), int(self.end[n])):
            other, other_score = int(self.volunteer[i]), int(self.score[i])
            if other == v:
                continue
            volunteer = self.population.volunteers[other]
            if self.load[other] >= volunteer.capacity_left:
                why = "proposed to other newcomers up to their capacity: the total fit is higher"
            elif other_score < score:
                why = f"a lower score ({other_score} against {score})"
            else:
                why = f"an equal score ({other_score}); the tie went to the earlier volunteer"
            reasons.append({"volunteer_id": str(volunteer.id), "score": other_score, "why": why})
            if len(reasons) == ALTERNATIVES_SHOWN:
                break
        return reasons

    def why_unmatched(self, n: int) -> Why:
        count = int(self.end[n] - self.start[n])
        if count == 1:
            return Why(
                "the one eligible volunteer was proposed to others up to their capacity, "
                "where the total fit was higher",
                because="others_chosen",
                eligible=1,
            )
        if count:
            return Why(
                f"all {count} eligible volunteers were proposed to others up to their "
                "capacity, where the total fit was higher",
                because="others_chosen",
                eligible=count,
            )
        return self._diagnosed.get(n) or self._diagnose(n)

    def _diagnose(self, n: int) -> Why:
        """Why nobody is eligible for a newcomer without candidates."""
        newcomer = self.population.newcomers[n]
        near = (
            i
            for area in sorted(self.population.areas_near(newcomer.district))
            for i in self.by_district.get(area, ())
        )  # only the first DIAGNOSED are looked at
        checked = [self.population.volunteers[i] for i in islice(near, DIAGNOSED)]
        if not checked:
            return Why("no volunteer in the area yet", because="no_volunteer_nearby")
        broken = Counter(
            rule for v in checked for rule in scoring.broken_rules(v, newcomer, self.population)
        )
        rule, times = broken.most_common(1)[0]
        return Why(
            f"no volunteer in the area meets every rule; most often missing: {rule} "
            f"({times} of {len(checked)} checked)",
            because="rule_missing",
            rule=rule,
            times=times,
            checked=len(checked),
        )


def _slices(
    candidates: Candidates, newcomers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Volunteers and scores with each newcomer's candidates in one slice, best first (as
    candidates.generate with top_k gives them), and each newcomer's slice start and end. When
    each newcomer's pairs already come together, as generate gives them, nothing is sorted."""
    newcomer = candidates.newcomer
    first = np.r_[True, newcomer[1:] != newcomer[:-1]] if newcomer.size else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    if starts.size != np.unique(newcomer[starts]).size:  # a newcomer's pairs are split
        order = np.argsort(newcomer, kind="stable")  # keeps each newcomer's best-first order
        sorted_ = Candidates(newcomer[order], candidates.volunteer[order], candidates.score[order])
        return _slices(sorted_, newcomers)
    start, end = np.zeros(newcomers, np.int64), np.zeros(newcomers, np.int64)
    start[newcomer[starts]] = starts
    end[newcomer[starts]] = np.r_[starts[1:], newcomer.size]
    return candidates.volunteer, candidates.score, start, end


def suggestions(population: Population, newcomer_id: uuid.UUID, limit: int = 5) -> list[Proposal]:
    """The `limit` best ready volunteers for one newcomer, best first, with explanations.

    One newcomer needs no vectorising: only the volunteers of their area are looked at, pair
    by pair, with the same rules and scores as a run.
    """
    newcomer = next(n for n in population.newcomers if n.id == newcomer_id)
    areas = population.areas_near(newcomer.district)
    eligible = [
        (scoring.score(v, newcomer), i, v)
        for i, v in enumerate(population.volunteers)
        if v.district in areas and not scoring.broken_rules(v, newcomer, population)
    ]
    eligible.sort(key=lambda e: (-e[0].total, e[1]))
    best = eligible[:limit]
    return [
        Proposal(
            volunteer_id=v.id,
            newcomer_id=newcomer.id,
            score=breakdown.total,
            factors=breakdown.as_dict(),
            rules_passed=scoring.RULES,
            not_chosen=(),
        )
        for breakdown, _, v in best
    ]
