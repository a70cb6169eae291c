"""What the matcher knows about people: only what matching needs, as plain frozen values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = ("morning", "afternoon", "evening")
ENGLISH = "en"

Slot = tuple[str, str]  # ("sat", "morning")


@dataclass(frozen=True)
class Volunteer:
    """A befriender as the matcher sees them; `capacity_left` already counts their matches."""

    id: uuid.UUID
    district: str
    languages: frozenset[str]
    availability: frozenset[Slot]
    interests: frozenset[str]
    gender: str | None
    same_gender_only: bool
    has_dbs: bool
    capacity_left: int
    ready: bool = True
    # Their local group: only people of one group are ever paired (None: no group yet).
    group_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Newcomer:
    """A person waiting for a befriender."""

    id: uuid.UUID
    district: str
    languages: frozenset[str]
    wants_english_practice: bool
    needs: frozenset[str]
    interests: frozenset[str]
    availability: frozenset[Slot]
    gender: str | None
    same_gender_only: bool
    needs_dbs: bool
    waiting_days: int
    # Their local group: only people of one group are ever paired (None: no group yet).
    group_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Population:
    """One matching run's input: who is waiting, who can befriend, and what must not repeat."""

    volunteers: tuple[Volunteer, ...]
    newcomers: tuple[Newcomer, ...]
    # (volunteer id, newcomer id) pairs rejected or ended before: never proposed again.
    excluded: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset()
    # District -> neighbouring districts; empty means "the same district only".
    neighbours: dict[str, frozenset[str]] | None = None

    def areas_near(self, district: str) -> frozenset[str]:
        """The district itself and its neighbours."""
        return frozenset({district}) | (self.neighbours or {}).get(district, frozenset())
