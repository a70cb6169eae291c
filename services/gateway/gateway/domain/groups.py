"""Which local group a postcode belongs to: the longest area it starts with.

An area is a postcode area or district as typed by a network admin ("S", "S1", "LS6"); "S"
covers every district that starts with S, unless a longer area ("S1") belongs to another
group. "*" covers everywhere, and loses to any other area.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from zoneinfo import available_timezones

from sanctuary.fields import EVERYWHERE, postcode_district

DEFAULT_TIMEZONE = "Europe/London"


def areas_to_try(postcode: str) -> tuple[str, ...]:
    """Every area that could cover a normalised postcode, shortest first: "*", "L", "LS",
    "LS6" for "LS6 1AA"."""
    district = postcode_district(postcode)
    return (EVERYWHERE, *(district[:end] for end in range(1, len(district) + 1)))


def covering(postcode: str, areas: Mapping[str, uuid.UUID]) -> uuid.UUID | None:
    """The group whose area is the longest `postcode` starts with; None when no area covers
    it (the network's "no local group yet" list)."""
    found = [area for area in areas_to_try(postcode) if area in areas]
    return areas[found[-1]] if found else None


def taken_areas(
    wanted: Iterable[str], held: Mapping[str, uuid.UUID], group_id: uuid.UUID
) -> list[str]:
    """The areas among `wanted` that another group covers already: one group an area."""
    return sorted(area for area in set(wanted) if held.get(area, group_id) != group_id)


def known_timezone(name: str) -> bool:
    """Whether `name` is an IANA timezone ("Europe/London") this machine can convert to."""
    return name in _zones()


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())
