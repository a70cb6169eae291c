"""Hypothesis strategies for random but realistic populations."""

from __future__ import annotations

import uuid

from hypothesis import strategies as st
from matching.domain.profiles import Newcomer, Population, Volunteer

DISTRICTS = ("LS6", "LS7", "LS8")
LANGUAGES = ("en", "ar", "fa", "ti", "uk")
SLOTS = (
    ("sat", "morning"),
    ("sat", "afternoon"),
    ("sun", "morning"),
    ("wed", "evening"),
    ("mon", "evening"),
    ("fri", "afternoon"),
)
INTERESTS = ("football", "cooking", "music", "walking", "forms")
NEEDS = ("social", "forms", "english_practice", "work")
GENDERS = (None, "female", "male")

ids = st.builds(uuid.uuid4)


def subset(items: tuple, min_size: int = 0) -> st.SearchStrategy[frozenset]:
    return st.frozensets(st.sampled_from(items), min_size=min_size, max_size=len(items))


# Mostly some languages; now and then none (the person did not consent to their use).
languages = st.one_of(subset(LANGUAGES, 1), subset(LANGUAGES, 1), st.just(frozenset()))

volunteers = st.builds(
    Volunteer,
    id=ids,
    district=st.sampled_from(DISTRICTS),
    languages=languages,
    availability=subset(SLOTS, 1),
    interests=subset(INTERESTS),
    gender=st.sampled_from(GENDERS),
    same_gender_only=st.booleans(),
    has_dbs=st.booleans(),
    capacity_left=st.integers(0, 3),
    ready=st.booleans(),
)

newcomers = st.builds(
    Newcomer,
    id=ids,
    district=st.sampled_from(DISTRICTS),
    languages=languages,
    wants_english_practice=st.booleans(),
    needs=subset(NEEDS),
    interests=subset(INTERESTS),
    availability=subset(SLOTS, 1),
    gender=st.sampled_from(GENDERS),
    same_gender_only=st.booleans(),
    needs_dbs=st.booleans(),
    waiting_days=st.integers(0, 200),
)


@st.composite
def populations(draw: st.DrawFn, max_people: int = 12) -> Population:
    """Up to `max_people` of each; some earlier pairs excluded; LS6 and LS7 neighbours."""
    vs = tuple(draw(st.lists(volunteers, max_size=max_people)))
    ns = tuple(draw(st.lists(newcomers, max_size=max_people)))
    pairs = [(v.id, n.id) for v in vs for n in ns]
    excluded = (
        frozenset(draw(st.lists(st.sampled_from(pairs), max_size=3))) if pairs else frozenset()
    )
    neighbours = draw(
        st.sampled_from([None, {"LS6": frozenset({"LS7"}), "LS7": frozenset({"LS6"})}])
    )
    return Population(volunteers=vs, newcomers=ns, excluded=excluded, neighbours=neighbours)
