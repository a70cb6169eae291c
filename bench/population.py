"""Realistic random populations for the matching benchmark (seeded, so runs compare)."""

from __future__ import annotations

import random
import uuid

from matching.domain.profiles import DAYS, PARTS, Newcomer, Population, Volunteer

# Newcomers' first languages, weighted roughly as UK asylum caseloads; volunteers mostly
# speak English, a fifth another language too.
NEWCOMER_LANGUAGES = {
    "ar": 30,
    "fa": 14,
    "uk": 14,
    "ti": 9,
    "ku": 8,
    "ps": 7,
    "so": 5,
    "ur": 4,
    "sq": 4,
    "am": 3,
    "fr": 2,
}
VOLUNTEER_LANGUAGES = {"fr": 6, "es": 5, "ar": 4, "ur": 3, "de": 3, "uk": 2, "fa": 1, "pl": 2}
INTERESTS = (
    "football",
    "cooking",
    "music",
    "walking",
    "art",
    "gardening",
    "chess",
    "faith",
    "films",
    "cycling",
    "reading",
    "crafts",
)
NEEDS = ("english_practice", "social", "finding_services", "forms", "work", "cooking")
SLOTS = tuple((d, p) for d in DAYS for p in PARTS)
VOLUNTEERS_PER_DISTRICT = 50


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _volunteer(rng: random.Random, names: list[str]) -> Volunteer:
    return Volunteer(
        id=uuid.UUID(int=rng.getrandbits(128)),
        district=rng.choice(names),
        languages=frozenset(
            {"en"} | ({_pick(rng, VOLUNTEER_LANGUAGES)} if rng.random() < 0.2 else set())
        ),
        availability=frozenset(rng.sample(SLOTS, rng.randint(2, 5))),
        interests=frozenset(
            rng.sample(INTERESTS, rng.randint(1, 4)) + (["forms"] if rng.random() < 0.2 else [])
        ),
        gender=rng.choice(("female", "male")),
        same_gender_only=rng.random() < 0.1,
        has_dbs=rng.random() < 0.3,
        capacity_left=rng.choices((1, 2, 3), weights=(70, 20, 10))[0],
    )


def _newcomer(rng: random.Random, names: list[str]) -> Newcomer:
    return Newcomer(
        id=uuid.UUID(int=rng.getrandbits(128)),
        district=rng.choice(names),
        languages=frozenset(
            {_pick(rng, NEWCOMER_LANGUAGES)} | ({"en"} if rng.random() < 0.45 else set())
        ),
        wants_english_practice=rng.random() < 0.6,
        needs=frozenset(rng.sample(NEEDS, rng.randint(1, 3))),
        interests=frozenset(rng.sample(INTERESTS, rng.randint(0, 3))),
        availability=frozenset(rng.sample(SLOTS, rng.randint(2, 6))),
        gender=rng.choice(("female", "male")),
        same_gender_only=rng.random() < 0.4,
        needs_dbs=rng.random() < 0.1,
        waiting_days=int(rng.expovariate(1 / 40)),
    )


def make(newcomers: int, volunteers: int, seed: int = 7) -> Population:
    """`newcomers` waiting and `volunteers` ready, spread over districts on a grid."""
    rng = random.Random(seed)
    districts = max(1, volunteers // VOLUNTEERS_PER_DISTRICT)
    side = max(1, int(districts**0.5))
    names = [f"D{i}" for i in range(districts)]
    neighbours = {
        names[i]: frozenset(
            names[j]
            for j in (i - 1, i + 1, i - side, i + side)
            if 0 <= j < districts and (abs(j - i) == side or j // side == i // side)
        )
        for i in range(districts)
    }
    vs = tuple(_volunteer(rng, names) for _ in range(volunteers))
    ns = tuple(_newcomer(rng, names) for _ in range(newcomers))
    return Population(volunteers=vs, newcomers=ns, neighbours=neighbours)
