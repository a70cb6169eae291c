"""What two people have in common, as a coordinator weighs a proposal: the facts behind its
score (which languages, which free times, which interests), not the points. Pure: the web
layer words them (in the gateway's dashboard, where the languages and days have names)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matching.domain.profiles import DAYS, PARTS


def first_name(name: str) -> str:
    """The name a coordinator calls them by on the dashboard; the full name stays one click
    (and one audit record) away."""
    return name.split()[0] if name.split() else ""


def shared(
    languages: tuple[Iterable[str], Iterable[str]],
    slots: tuple[Iterable[Sequence[str]], Iterable[Sequence[str]]],
    interests: Iterable[str],
    newcomer_interests: Iterable[str],
    newcomer_needs: Iterable[str],
) -> dict[str, list[object]]:
    """The languages both speak, the times both are free (in the week's order), the
    interests both have, and the needs the volunteer's interests meet."""
    theirs = set(interests)
    common_slots = {tuple(s) for s in slots[0]} & {tuple(s) for s in slots[1]}
    return {
        "languages": sorted(set(languages[0]) & set(languages[1])),
        "slots": [
            {"day": day, "part": part}
            for day in DAYS
            for part in PARTS
            if (day, part) in common_slots
        ],
        "interests": sorted(theirs & set(newcomer_interests)),
        "needs": sorted(theirs & set(newcomer_needs)),
    }
