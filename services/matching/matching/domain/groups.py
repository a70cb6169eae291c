"""Local groups: a volunteer and a newcomer are paired only when they belong to one group.

Pure: splits a Population by group, runs the matcher on each group on its own and merges
the results. People with no group yet (group_id None: their postcode is in no group's area)
are never paired; they wait for a network admin to assign them a group.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TypeAlias

from matching.domain.outcomes import TOP_K, Proposal, RunResult, Why
from matching.domain.profiles import Newcomer, Population, Volunteer

# Why a newcomer with no group is left out of a network-wide run.
NO_GROUP_YET = Why(
    "no local group yet: a network admin assigns one before they can be matched",
    because="no_group_yet",
)

# The groups a caller may see (a coordinator's own, as the gateway says); None: every group,
# and the people with no group yet too (a network admin).
Scope: TypeAlias = frozenset[uuid.UUID] | None


def in_scope(scope: Scope, group_id: uuid.UUID | None) -> bool:
    """Whether a caller of `scope` may see someone (or a match) of `group_id`: anyone without a
    scope; else only its groups' people, never someone with no group yet (network admins')."""
    return scope is None or (group_id is not None and group_id in scope)


@dataclass(frozen=True)
class Partition:
    """A population split by group: each group's own population, and the newcomers with no
    group yet. Volunteers with no group belong to no group's population, so they are never
    proposed."""

    groups: dict[uuid.UUID, Population]  # by group id, in group id order
    ungrouped: tuple[Newcomer, ...]


def partition(population: Population) -> Partition:
    """Each group's volunteers and newcomers (in the population's order), with the excluded
    pairs of that group's newcomers; the neighbouring districts are the same for all."""
    volunteers: dict[uuid.UUID, list[Volunteer]] = {}
    newcomers: dict[uuid.UUID, list[Newcomer]] = {}
    for v in population.volunteers:
        if v.group_id is not None:
            volunteers.setdefault(v.group_id, []).append(v)
    for n in population.newcomers:
        if n.group_id is not None:
            newcomers.setdefault(n.group_id, []).append(n)
    groups = {}
    for group_id in sorted(volunteers.keys() | newcomers.keys()):
        own_newcomers = tuple(newcomers.get(group_id, ()))
        ids = {n.id for n in own_newcomers}
        groups[group_id] = replace(
            population,
            volunteers=tuple(volunteers.get(group_id, ())),
            newcomers=own_newcomers,
            excluded=frozenset(pair for pair in population.excluded if pair[1] in ids),
        )
    ungrouped = tuple(n for n in population.newcomers if n.group_id is None)
    return Partition(groups=groups, ungrouped=ungrouped)


def run_by_group(population: Population, groups: Scope = None, top_k: int = TOP_K) -> RunResult:
    """One run per group, merged: never a pair across groups.

    With `groups`, only those groups are solved (each on its own), and nobody else appears in
    the result. Without, every group is solved on its own, and each newcomer with no group yet
    is reported unmatched with the reason NO_GROUP_YET. The total score is the sum over the
    groups.
    """
    from matching.domain.run import run  # the solver's stack, only where a run is made

    split = partition(population)
    chosen = [own for group_id, own in split.groups.items() if in_scope(groups, group_id)]
    proposals: list[Proposal] = []
    unmatched: dict[uuid.UUID, Why] = {}
    for own in chosen:
        if not own.newcomers:
            continue  # nobody waiting in this group: nothing to solve
        result = run(own, top_k)
        proposals.extend(result.proposals)
        unmatched.update(result.unmatched)
    if groups is None:
        unmatched.update(dict.fromkeys((n.id for n in split.ungrouped), NO_GROUP_YET))
    # Unmatched newcomers in waiting order, as a single run lists them.
    ordered = {n.id: unmatched[n.id] for n in population.newcomers if n.id in unmatched}
    return RunResult(proposals=tuple(proposals), unmatched=ordered)


def suggestions_in_group(
    population: Population, newcomer_id: uuid.UUID, limit: int = 5
) -> list[Proposal]:
    """The `limit` best ready volunteers of the newcomer's own group; none while the newcomer
    has no group yet."""
    from matching.domain.run import suggestions  # the solver's stack, only where it is used

    newcomer = next(n for n in population.newcomers if n.id == newcomer_id)
    if newcomer.group_id is None:
        return []
    own = partition(population).groups[newcomer.group_id]
    return suggestions(own, newcomer_id, limit)
