"""Local groups in the matcher: pairs never cross a group, people with no group are never
paired (pure rules, domain.groups)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from matching.domain.groups import (
    NO_GROUP_YET,
    in_scope,
    partition,
    run_by_group,
    suggestions_in_group,
)
from matching.domain.profiles import Newcomer, Population, Volunteer
from matching.domain.run import run
from matching_strategies import populations

NORTH, SOUTH = uuid.UUID(int=1), uuid.UUID(int=2)
SETTINGS = settings(max_examples=150, deadline=None)


def volunteer(group: uuid.UUID | None, **extra: object) -> Volunteer:
    """A ready volunteer of LS6 who fits `newcomer()`; override any field."""
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "district": "LS6",
        "languages": frozenset({"en", "ar"}),
        "availability": frozenset({("sat", "morning")}),
        "interests": frozenset(),
        "gender": None,
        "same_gender_only": False,
        "has_dbs": False,
        "capacity_left": 1,
        "group_id": group,
    }
    return Volunteer(**{**fields, **extra})  # type: ignore[arg-type]


def newcomer(group: uuid.UUID | None, **extra: object) -> Newcomer:
    """A waiting newcomer of LS6 who speaks Arabic; override any field."""
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "district": "LS6",
        "languages": frozenset({"ar"}),
        "wants_english_practice": False,
        "needs": frozenset(),
        "interests": frozenset(),
        "availability": frozenset({("sat", "morning")}),
        "gender": None,
        "same_gender_only": False,
        "needs_dbs": False,
        "waiting_days": 0,
        "group_id": group,
    }
    return Newcomer(**{**fields, **extra})  # type: ignore[arg-type]


def test_the_partition_puts_each_person_in_their_own_group_and_drops_nobody_waiting() -> None:
    """Each group keeps its people in order, with its own newcomers' excluded pairs; a
    newcomer with no group is listed apart, a volunteer with no group is in no group."""
    v_north, v_south, v_none = volunteer(NORTH), volunteer(SOUTH), volunteer(None)
    n_north, n_north_2, n_none = newcomer(NORTH), newcomer(NORTH), newcomer(None)
    population = Population(
        volunteers=(v_north, v_none, v_south),
        newcomers=(n_north, n_none, n_north_2),
        excluded=frozenset({(v_south.id, n_north.id), (v_north.id, n_north_2.id)}),
        neighbours={"LS6": frozenset({"LS7"})},
    )
    split = partition(population)
    assert list(split.groups) == [NORTH, SOUTH]
    north, south = split.groups[NORTH], split.groups[SOUTH]
    assert (north.volunteers, north.newcomers) == ((v_north,), (n_north, n_north_2))
    assert (south.volunteers, south.newcomers) == ((v_south,), ())
    assert north.excluded == frozenset({(v_south.id, n_north.id), (v_north.id, n_north_2.id)})
    assert south.excluded == frozenset()
    assert north.neighbours == population.neighbours
    assert split.ungrouped == (n_none,)
    assert all(v_none not in g.volunteers for g in split.groups.values())


def test_a_run_never_pairs_across_groups_even_when_that_is_the_only_fit() -> None:
    """The south newcomer fits the north volunteer only (the south one speaks no Arabic):
    without groups both newcomers would have them; with groups the south one waits."""
    v_north = volunteer(NORTH, capacity_left=2)
    v_south = volunteer(SOUTH, languages=frozenset({"uk"}))
    n_south, n_north = newcomer(SOUTH), newcomer(NORTH)
    population = Population(volunteers=(v_north, v_south), newcomers=(n_south, n_north))
    assert len(run(population).proposals) == 2  # the matcher alone knows no groups
    result = run_by_group(population)
    assert [(p.volunteer_id, p.newcomer_id) for p in result.proposals] == [(v_north.id, n_north.id)]
    assert list(result.unmatched) == [n_south.id]
    assert result.unmatched[n_south.id].startswith("no volunteer in the area meets every rule")


def test_a_newcomer_with_no_group_is_never_proposed_and_says_why_in_a_network_run() -> None:
    """Network-wide: unmatched as "no local group yet"; a group's run leaves them out."""
    v_north, v_none = volunteer(NORTH, capacity_left=3), volunteer(None, capacity_left=3)
    n_none, n_north = newcomer(None, waiting_days=400), newcomer(NORTH)
    population = Population(volunteers=(v_none, v_north), newcomers=(n_none, n_north))
    network = run_by_group(population)
    assert [p.newcomer_id for p in network.proposals] == [n_north.id]
    assert [p.volunteer_id for p in network.proposals] == [v_north.id]
    assert network.unmatched == {n_none.id: NO_GROUP_YET}
    assert "no local group yet" in NO_GROUP_YET
    north = run_by_group(population, frozenset({NORTH}))
    assert (len(north.proposals), north.unmatched) == (1, {})


def test_a_groups_run_solves_that_group_only() -> None:
    """Given a group: its pairs and its unmatched, nobody else's; an unknown group: nothing."""
    v_north, v_south = volunteer(NORTH), volunteer(SOUTH)
    n_north, n_south, n_south_2 = newcomer(NORTH), newcomer(SOUTH), newcomer(SOUTH)
    population = Population(volunteers=(v_north, v_south), newcomers=(n_north, n_south, n_south_2))
    south = run_by_group(population, frozenset({SOUTH}))
    assert [p.volunteer_id for p in south.proposals] == [v_south.id]
    assert {p.newcomer_id for p in south.proposals} | set(south.unmatched) == {
        n_south.id,
        n_south_2.id,
    }
    network = run_by_group(population)
    north = run_by_group(population, frozenset({NORTH}))
    assert network.total_score == north.total_score + south.total_score
    nobody = run_by_group(population, frozenset({uuid.UUID(int=3)}))
    assert (nobody.proposals, nobody.unmatched) == ((), {})


def test_a_run_of_several_groups_solves_each_on_its_own_and_nobody_else() -> None:
    """A coordinator's groups: each solved alone, merged; the others' and the groupless
    newcomers do not appear; no group at all: nothing."""
    other = uuid.UUID(int=3)
    v_north, v_south, v_other = volunteer(NORTH), volunteer(SOUTH), volunteer(other)
    n_north, n_south, n_other, n_none = (
        newcomer(NORTH),
        newcomer(SOUTH),
        newcomer(other),
        newcomer(None),
    )
    population = Population(
        volunteers=(v_north, v_south, v_other), newcomers=(n_none, n_other, n_south, n_north)
    )
    both = run_by_group(population, frozenset({NORTH, SOUTH}))
    assert {(p.volunteer_id, p.newcomer_id) for p in both.proposals} == {
        (v_north.id, n_north.id),
        (v_south.id, n_south.id),
    }
    assert both.unmatched == {}
    one_by_one = [run_by_group(population, frozenset({g})) for g in (NORTH, SOUTH)]
    assert both.total_score == sum(r.total_score for r in one_by_one)
    nothing = run_by_group(population, frozenset())
    assert (nothing.proposals, nothing.unmatched) == ((), {})


def test_a_scope_sees_its_groups_only_and_nobody_without_a_group() -> None:
    """No scope: everyone; a scope: its groups' people, never someone with no group yet."""
    assert in_scope(None, NORTH)
    assert in_scope(None, None)
    assert in_scope(frozenset({NORTH, SOUTH}), SOUTH)
    assert not in_scope(frozenset({NORTH}), SOUTH)
    assert not in_scope(frozenset({NORTH}), None)
    assert not in_scope(frozenset(), NORTH)


def test_suggestions_come_from_the_newcomers_own_group_only() -> None:
    """The better fit in another group is never suggested; no group, no suggestions."""
    v_north = volunteer(NORTH)
    v_south = volunteer(SOUTH, interests=frozenset({"football"}), capacity_left=3)
    v_none = volunteer(None)
    n_north = newcomer(NORTH, interests=frozenset({"football"}))
    n_none = newcomer(None)
    population = Population(volunteers=(v_south, v_none, v_north), newcomers=(n_north, n_none))
    assert [p.volunteer_id for p in suggestions_in_group(population, n_north.id)] == [v_north.id]
    assert suggestions_in_group(population, n_none.id) == []


@SETTINGS
@given(populations(), st.data())
def test_groups_never_mix_and_the_total_is_the_sum_of_each_groups_run(
    population: Population, data: st.DataObject
) -> None:
    """Over random populations spread at random over two groups and none: every proposal is
    within one group, nobody without a group is proposed, and each group's result is the
    result of running that group alone."""
    groups = st.sampled_from([NORTH, SOUTH, None])
    population = replace(
        population,
        volunteers=tuple(replace(v, group_id=data.draw(groups)) for v in population.volunteers),
        newcomers=tuple(replace(n, group_id=data.draw(groups)) for n in population.newcomers),
    )
    group_of = {p.id: p.group_id for p in (*population.volunteers, *population.newcomers)}
    result = run_by_group(population)
    for p in result.proposals:
        assert group_of[p.newcomer_id] is not None
        assert group_of[p.volunteer_id] == group_of[p.newcomer_id]
    alone = [run(g) for g in partition(population).groups.values() if g.newcomers]
    assert result.total_score == sum(r.total_score for r in alone)
    assert sorted(result.proposals, key=lambda p: p.newcomer_id) == sorted(
        (p for r in alone for p in r.proposals), key=lambda p: p.newcomer_id
    )
    ungrouped = {n.id for n in population.newcomers if n.group_id is None}
    assert {n for n, why in result.unmatched.items() if why == NO_GROUP_YET} == ungrouped
    proposed = {p.newcomer_id for p in result.proposals}
    assert set(result.unmatched) == {n.id for n in population.newcomers} - proposed
