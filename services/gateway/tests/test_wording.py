"""A proposal's reasons in words a coordinator reads at a glance (issue 15): not "common
slots 2" or rule ids, but what the two people share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.entrypoints.coordinators import wording

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def proposal(**changes: Any) -> dict[str, Any]:
    match: dict[str, Any] = {
        "volunteer": {"first_name": "Amina", "district": "LS6"},
        "newcomer": {
            "first_name": "Omar",
            "district": "LS6",
            "waiting_since": "2026-11-01T00:00:00+00:00",
        },
        "shared": {
            "languages": ["ar", "ti"],
            "slots": [{"day": "sat", "part": "morning"}, {"day": "sun", "part": "evening"}],
            "interests": ["football"],
            "needs": [],
        },
        "explanation": {"factors": {"eligible": 10, "common_slots": 8, "waiting_bonus": 5}},
    }
    return {**match, **changes}


def test_a_proposal_reads_as_what_the_two_share() -> None:
    assert wording.reasons(proposal(), NOW) == [
        "Both speak Arabic and Tigrinya",
        "Both free Saturday mornings and Sunday evenings",
        "Both like football",
        "Both live in LS6",
        "Omar has waited 5 weeks",
    ]


def test_english_practice_neighbouring_areas_and_unused_languages_are_said() -> None:
    match = proposal(
        newcomer={"first_name": "Omar", "district": "LS7"},
        shared={"languages": [], "slots": [], "interests": [], "needs": ["getting_around"]},
        explanation={"factors": {"english_practice": 5}, "not_used": ["languages: ..."]},
    )
    assert wording.reasons(match, NOW) == [
        "Omar wants to practise English, which Amina speaks",
        "Amina can help with getting to know the area",
        "Neighbouring areas: LS6 and LS7",
        "Languages not used: one of them has not agreed to their use",
    ]


def test_a_match_without_its_people_has_no_reasons_but_its_numbers() -> None:
    assert wording.reasons(proposal(shared=None), NOW) == []


def test_every_rule_and_factor_the_matcher_uses_has_words() -> None:
    import uuid

    from matching.domain import profiles, scoring

    volunteer = profiles.Volunteer(
        uuid.uuid4(), "LS6", frozenset({"ar"}), frozenset(), frozenset(), None, False, True, 1
    )
    newcomer = profiles.Newcomer(
        uuid.uuid4(), "LS6", frozenset({"ar"}), True, frozenset(), frozenset(), frozenset(),
        None, False, False, 30,
    )  # fmt: skip
    assert set(wording.RULES) == set(scoring.RULES)
    assert set(scoring.score(volunteer, newcomer).as_dict()) == set(wording.FACTORS)


def waiting(unmatched: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    newcomer = {
        "district": "LS6",
        "languages": ["ti"],
        "availability": [{"day": "sat", "part": "morning"}],
        "last_run_at": "2026-12-05T02:00:00+00:00",
        "unmatched": unmatched,
    }
    return {**newcomer, **changes}


def test_why_a_newcomer_waits_reads_with_their_own_details() -> None:
    """Not "most often missing: common_language (3 of 5 checked)"."""
    rule = {"because": "rule_missing", "rule": "common_language", "times": 3, "checked": 5}
    assert wording.why_waiting(waiting(rule)) == (
        "No ready volunteer nearby speaks Tigrinya (3 of the 5 nearby)"
    )
    free = {**rule, "rule": "common_availability"}
    assert wording.why_waiting(waiting(free)).startswith(
        "No ready volunteer nearby is free when they are (Saturday morning)"
    )
    assert wording.why_waiting(waiting({"because": "no_volunteer_nearby"})) == (
        "No volunteer lives in or near LS6 yet"
    )
    assert wording.why_waiting(waiting({"because": "others_chosen", "eligible": 4})) == (
        "All 4 volunteers who fit were proposed to others this time"
    )
    assert "place them in one" in wording.why_waiting(waiting({"because": "no_group_yet"}))
    assert wording.why_waiting(waiting(None, last_run_at=None)) == "Not in a run yet"


def test_every_rule_has_words_for_a_newcomer_left_waiting() -> None:
    from matching.domain import scoring

    assert set(wording._MISSING) == set(scoring.RULES)
