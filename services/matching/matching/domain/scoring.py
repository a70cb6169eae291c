"""The hard rules and the score of one volunteer-newcomer pair, factor by factor.

This is the reference: plain Python, one pair at a time, used for every explanation. The
vectorised candidate generation (candidates.py) must agree with it exactly; a property test
holds them together.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.domain.profiles import ENGLISH, Newcomer, Population, Volunteer

# Points, as integers so that totals are exact and runs deterministic.
ELIGIBLE = 10  # any pair passing every hard rule: makes matching more people worth more
PER_SHARED_LANGUAGE, MAX_SHARED_LANGUAGES = 4, 2  # other than English
ENGLISH_PRACTICE = 4
PER_COMMON_SLOT, MAX_COMMON_SLOTS = 2, 3
PER_SHARED_INTEREST, MAX_SHARED_INTERESTS = 1, 3
PER_NEED_FIT, MAX_NEEDS_FIT = 2, 2  # a need the volunteer lists among their interests
SAME_DISTRICT = 3  # rather than a neighbouring one
PER_WEEK_WAITING, MAX_WEEKS_WAITING = 1, 12

# Said in an explanation when a person's languages are not held (no consent to use them).
NOT_USED_LANGUAGES = (
    "languages: not shared by one of them, so the common-language rule was not applied"
)

RULES = (
    "volunteer_ready",
    "volunteer_has_capacity",
    "same_or_neighbouring_area",
    "common_language",
    "common_availability",
    "gender_preference",
    "dbs_if_needed",
    "not_rejected_or_ended_before",
)


@dataclass(frozen=True)
class Breakdown:
    """A pair's score as named factors; `total` is exactly their sum."""

    factors: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """The score."""
        return sum(points for _, points in self.factors)

    def as_dict(self) -> dict[str, int]:
        """Factor name -> points, for JSON."""
        return dict(self.factors)


def broken_rules(v: Volunteer, n: Newcomer, population: Population) -> list[str]:
    """The hard rules this pair breaks, in RULES order; empty when it may be proposed."""
    checks = {
        "volunteer_ready": v.ready,
        "volunteer_has_capacity": v.capacity_left > 0,
        "same_or_neighbouring_area": v.district in population.areas_near(n.district),
        "common_language": not languages_known(v, n)
        or bool(v.languages & n.languages)
        or (n.wants_english_practice and ENGLISH in v.languages),
        "common_availability": bool(v.availability & n.availability),
        "gender_preference": _genders_agree(v, n),
        "dbs_if_needed": v.has_dbs or not n.needs_dbs,
        "not_rejected_or_ended_before": (v.id, n.id) not in population.excluded,
    }
    return [rule for rule in RULES if not checks[rule]]


def languages_known(v: Volunteer, n: Newcomer) -> bool:
    """Whether both people let us use their languages (special-category data: without their
    consent none are held). If one did not, the language rule is not applied and the
    explanation says so: the coordinator asks them."""
    return bool(v.languages) and bool(n.languages)


def not_used(v: Volunteer, n: Newcomer) -> list[str]:
    """What the matcher could not use for this pair, because one of them did not consent to
    its use (ADR 0029): the explanation lists it for the coordinator."""
    return [] if languages_known(v, n) else [NOT_USED_LANGUAGES]


def _genders_agree(v: Volunteer, n: Newcomer) -> bool:
    same = v.gender is not None and v.gender == n.gender
    return (same or not n.same_gender_only) and (same or not v.same_gender_only)


def score(v: Volunteer, n: Newcomer) -> Breakdown:
    """The factor breakdown of a pair that passes the hard rules."""
    shared = len((v.languages & n.languages) - {ENGLISH})
    factors = (
        ("eligible", ELIGIBLE),
        ("shared_languages", PER_SHARED_LANGUAGE * min(shared, MAX_SHARED_LANGUAGES)),
        (
            "english_practice",
            ENGLISH_PRACTICE if n.wants_english_practice and ENGLISH in v.languages else 0,
        ),
        (
            "common_slots",
            PER_COMMON_SLOT * min(len(v.availability & n.availability), MAX_COMMON_SLOTS),
        ),
        (
            "shared_interests",
            PER_SHARED_INTEREST * min(len(v.interests & n.interests), MAX_SHARED_INTERESTS),
        ),
        ("needs_fit", PER_NEED_FIT * min(len(v.interests & n.needs), MAX_NEEDS_FIT)),
        ("same_district", SAME_DISTRICT if v.district == n.district else 0),
        ("waiting_bonus", PER_WEEK_WAITING * min(n.waiting_days // 7, MAX_WEEKS_WAITING)),
    )
    return Breakdown(factors)
