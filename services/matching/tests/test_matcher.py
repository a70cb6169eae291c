"""The matcher's promises, checked over random populations (hypothesis)."""

from __future__ import annotations

import uuid
from collections import Counter

import numpy as np
from hypothesis import given, settings
from matching.domain import scoring
from matching.domain.candidates import Candidates, generate
from matching.domain.profiles import Population
from matching.domain.run import DIAGNOSED, _slices, run, suggestions
from matching_strategies import populations
from scipy.optimize import linear_sum_assignment

SETTINGS = settings(max_examples=150, deadline=None)


def reference_pairs(population: Population) -> dict[tuple[int, int], int]:
    """Every eligible (newcomer, volunteer) pair with its score, one pair at a time."""
    return {
        (n, v): scoring.score(vol, new).total
        for n, new in enumerate(population.newcomers)
        for v, vol in enumerate(population.volunteers)
        if not scoring.broken_rules(vol, new, population)
    }


@SETTINGS
@given(populations())
def test_vectorised_candidates_equal_the_pair_by_pair_reference(population: Population) -> None:
    """Same pairs, same scores: the fast path and the explained path never disagree."""
    found = generate(population)
    got = {
        (int(n), int(v)): int(s)
        for n, v, s in zip(found.newcomer, found.volunteer, found.score, strict=True)
    }
    assert got == reference_pairs(population)


@SETTINGS
@given(populations())
def test_no_proposal_breaks_a_hard_rule_or_a_capacity(population: Population) -> None:
    """Every rule holds, nobody is proposed twice, no volunteer over their free places."""
    result = run(population)
    volunteers = {v.id: v for v in population.volunteers}
    newcomers = {n.id: n for n in population.newcomers}
    for proposal in result.proposals:
        assert (
            scoring.broken_rules(
                volunteers[proposal.volunteer_id], newcomers[proposal.newcomer_id], population
            )
            == []
        )
    load = Counter(p.volunteer_id for p in result.proposals)
    assert all(load[v] <= volunteers[v].capacity_left for v in load)
    assert len({p.newcomer_id for p in result.proposals}) == len(result.proposals)
    assert set(result.unmatched) == set(newcomers) - {p.newcomer_id for p in result.proposals}


@SETTINGS
@given(populations())
def test_the_breakdown_adds_up_exactly_to_the_score(population: Population) -> None:
    """Each factor's contribution is shown, and they sum to the score."""
    for proposal in run(population).proposals:
        assert sum(proposal.factors.values()) == proposal.score
        assert proposal.rules_passed == scoring.RULES


@SETTINGS
@given(populations())
def test_the_same_input_gives_the_same_result(population: Population) -> None:
    """Deterministic: a coordinator re-running a dry run sees the same proposals."""
    assert run(population) == run(population)


def exact_optimum(population: Population) -> int:
    """Dense Hungarian over capacity slots plus one 'unmatched' column per newcomer."""
    pairs = reference_pairs(population)
    slots = [
        v
        for v, vol in enumerate(population.volunteers)
        for _ in range(max(vol.capacity_left, 0) if vol.ready else 0)
    ]
    n = len(population.newcomers)
    if n == 0:
        return 0
    gain = np.zeros((n, len(slots) + n))
    for j, v in enumerate(slots):
        for i in range(n):
            gain[i, j] = pairs.get((i, v), -1e9)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return int(sum(gain[r, c] for r, c in zip(rows, cols, strict=True) if gain[r, c] > 0))


@SETTINGS
@given(populations(max_people=9))
def test_the_total_equals_the_exact_optimum(population: Population) -> None:
    """On instances small enough for the Hungarian method, zero gap to the optimum."""
    assert run(population).total_score == exact_optimum(population)


@SETTINGS
@given(populations())
def test_suggestions_are_the_best_eligible_volunteers_best_first(population: Population) -> None:
    """Five at most, each eligible, scores not increasing, matching the reference."""
    pairs = reference_pairs(population)
    for n, newcomer in enumerate(population.newcomers[:3]):
        found = suggestions(population, newcomer.id)
        best = sorted((s for (i, _), s in pairs.items() if i == n), reverse=True)[:5]
        assert [p.score for p in found] == best


@SETTINGS
@given(populations())
def test_the_volunteers_not_chosen_are_the_next_best_with_a_reason(population: Population) -> None:
    """Each proposal names the best other candidates, best first, and why not them."""
    pairs = reference_pairs(population)
    index = {n.id: i for i, n in enumerate(population.newcomers)}
    v_index = {v.id: i for i, v in enumerate(population.volunteers)}
    for proposal in run(population).proposals:
        n, chosen = index[proposal.newcomer_id], v_index[proposal.volunteer_id]
        others = sorted(
            ((s, v) for (i, v), s in pairs.items() if i == n and v != chosen),
            key=lambda sv: (-sv[0], sv[1]),
        )[:2]
        shown = [
            (o["score"], v_index[uuid.UUID(str(o["volunteer_id"]))]) for o in proposal.not_chosen
        ]
        assert shown == others
        assert all(o["why"] for o in proposal.not_chosen)


def test_without_consent_to_use_languages_the_language_rule_is_not_applied_and_said() -> None:
    """A newcomer who did not let us use their languages (ADR 0029) is still matched with
    someone in the area who is free when they are; the explanation says what was not used.
    Two people who both gave theirs and share none are not."""
    from matching.domain.profiles import Newcomer, Volunteer

    def volunteer(languages: frozenset[str]) -> Volunteer:
        return Volunteer(
            id=uuid.uuid4(),
            district="LS6",
            languages=languages,
            availability=frozenset({("sat", "morning")}),
            interests=frozenset(),
            gender=None,
            same_gender_only=False,
            has_dbs=False,
            capacity_left=1,
        )

    def newcomer(languages: frozenset[str]) -> Newcomer:
        return Newcomer(
            id=uuid.uuid4(),
            district="LS6",
            languages=languages,
            wants_english_practice=False,
            needs=frozenset(),
            interests=frozenset(),
            availability=frozenset({("sat", "morning")}),
            gender=None,
            same_gender_only=False,
            needs_dbs=False,
            waiting_days=3,
        )

    unknown, apart = newcomer(frozenset()), newcomer(frozenset({"ti"}))
    population = Population(volunteers=(volunteer(frozenset({"ar"})),), newcomers=(unknown, apart))
    result = run(population)
    [proposal] = result.proposals
    assert proposal.newcomer_id == unknown.id
    assert proposal.explanation()["not_used"] == [scoring.NOT_USED_LANGUAGES]
    assert "common_language" in result.unmatched[apart.id]


@SETTINGS
@given(populations())
def test_each_unmatched_newcomer_is_told_why_from_the_reference(population: Population) -> None:
    """Eligible volunteers all taken; nobody in the area; or the rule the area's first
    DIAGNOSED volunteers miss most often, with how many were checked."""
    pairs = reference_pairs(population)
    result = run(population)
    for n, newcomer in enumerate(population.newcomers):
        why = result.unmatched.get(newcomer.id)
        if why is None:
            continue
        eligible = sum(1 for i, _ in pairs if i == n)
        near = [
            v
            for area in sorted(population.areas_near(newcomer.district))
            for v in population.volunteers
            if v.district == area
        ]
        if eligible:
            assert (why.facts["because"], why.facts["eligible"]) == ("others_chosen", eligible)
        elif not near:
            assert why.facts["because"] == "no_volunteer_nearby"
        else:
            assert why.facts["because"] == "rule_missing"
            assert why.facts["checked"] == min(len(near), DIAGNOSED)


def test_explanations_find_a_newcomers_candidates_when_their_pairs_come_apart() -> None:
    """Pairs given in any order, not one newcomer's together as generate gives them."""
    candidates = Candidates(
        newcomer=np.array([1, 0, 1, 2]),
        volunteer=np.array([5, 6, 7, 8]),
        score=np.array([9, 8, 4, 3]),
    )
    volunteer, score, start, end = _slices(candidates, 4)
    slices = [
        list(zip(volunteer[a:b], score[a:b], strict=True)) for a, b in zip(start, end, strict=True)
    ]
    assert slices == [[(6, 8)], [(5, 9), (7, 4)], [(8, 3)], []]
