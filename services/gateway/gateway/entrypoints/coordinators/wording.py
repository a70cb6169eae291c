"""A proposal's reasons as a coordinator reads them at a glance ("Both speak Arabic; both
free Saturday mornings; both like football; both live in LS6"), from the facts matching
gives; the points stay one click away, with each rule and factor in words; and the words the
dashboard uses for the vocabulary's. English, as the dashboard is (ADR 0015)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.lists import format_list
from sanctuary.vocabulary import EventKind, MatchEnding

from gateway.domain import language_names
from gateway.entrypoints.public_pages.people import (
    DAY_NAMES,
    INTEREST_CHOICES,
    LANGUAGE_CHOICES,
    NEED_CHOICES,
)

LANGUAGES = {code: english for code, _own, english in LANGUAGE_CHOICES}
EVENT_KINDS = {
    EventKind.SOCIAL: "Social",
    EventKind.TRAINING: "Training",
    EventKind.WEBINAR: "Webinar",
}
# How a match ended, as the end form offers it and the Impact page counts it.
ENDINGS = {
    MatchEnding.RAN_ITS_COURSE: "Ran its course: the newcomer is settled",
    MatchEnding.NEWCOMER_MOVED: "The newcomer moved away",
    MatchEnding.VOLUNTEER_STEPPED_BACK: "The volunteer stepped back",
    MatchEnding.NEWCOMER_STEPPED_BACK: "The newcomer stepped back",
    MatchEnding.NOT_A_GOOD_FIT: "Not a good fit",
    MatchEnding.SAFEGUARDING: "A safeguarding concern",
    MatchEnding.OTHER: "Another reason",
    MatchEnding.WITHDRAWN: "One of the pair asked to be erased",
}


def language(code: str) -> str:
    """A language's English name: the form's for its boxes, CLDR's for one named in words."""
    return LANGUAGES.get(code) or language_names.english_name(code)


INTERESTS = dict(INTEREST_CHOICES)
NEEDS = dict(NEED_CHOICES)
# Each hard rule a proposal passed, as a sentence's end.
RULES = {
    "volunteer_ready": "the volunteer's checks are done",
    "volunteer_has_capacity": "the volunteer has room for one more",
    "same_or_neighbouring_area": "they live in the same or a neighbouring area",
    "common_language": "they share a language",
    "common_availability": "they are free at the same time",
    "gender_preference": "any wish about gender is met",
    "dbs_if_needed": "a DBS check is held where one is needed",
    "not_rejected_or_ended_before": "they were never rejected or ended as a pair",
}
# Each factor of the score, named.
FACTORS = {
    "eligible": "passes every rule",
    "shared_languages": "languages in common",
    "english_practice": "English practice",
    "common_slots": "free times in common",
    "shared_interests": "interests in common",
    "needs_fit": "needs the volunteer can help with",
    "same_district": "same district",
    "waiting_bonus": "time waiting",
}


def _and(words: list[str]) -> str:
    return str(format_list(words, locale="en_GB"))


def reasons(match: dict[str, Any], now: datetime | None = None) -> list[str]:
    """The proposal's reasons, each a short sentence; none for a match listed without its
    people (or with one of them erased)."""
    shared, factors = match.get("shared"), match["explanation"].get("factors", {})
    if not shared:
        return []
    volunteer, newcomer = match["volunteer"], match["newcomer"]
    befriender, waiting = volunteer["first_name"], newcomer["first_name"]
    said = []
    if shared["languages"]:
        said.append(f"Both speak {_and([language(c) for c in shared['languages']])}")
    if factors.get("english_practice"):
        said.append(f"{waiting} wants to practise English, which {befriender} speaks")
    if shared["slots"]:
        times = [f"{DAY_NAMES[s['day']]} {s['part']}s" for s in shared["slots"]]
        said.append(f"Both free {_and(times)}")
    if shared["interests"]:
        said.append(f"Both like {_and([INTERESTS.get(i, i).lower() for i in shared['interests']])}")
    if shared["needs"]:
        helps = _and([NEEDS.get(n, n).lower() for n in shared["needs"]])
        said.append(f"{befriender} can help with {helps}")
    if volunteer["district"] == newcomer["district"]:
        said.append(f"Both live in {volunteer['district']}")
    else:
        said.append(f"Neighbouring areas: {volunteer['district']} and {newcomer['district']}")
    if factors.get("waiting_bonus") and newcomer.get("waiting_since"):
        since = datetime.fromisoformat(newcomer["waiting_since"])
        weeks = ((now or datetime.now(UTC)) - since).days // 7
        said.append(f"{waiting} has waited {weeks} weeks")
    if match["explanation"].get("not_used"):
        said.append("Languages not used: one of them has not agreed to their use")
    return said


# What stops a match, when most of the volunteers nearby break one rule, said of the newcomer.
_MISSING = {
    "volunteer_ready": "The volunteers nearby are still waiting for their checks",
    "volunteer_has_capacity": "The volunteers nearby already befriend as many people as they can",
    "same_or_neighbouring_area": "No volunteer lives in or near {district}",
    "common_language": "No ready volunteer nearby speaks {languages}",
    "common_availability": "No ready volunteer nearby is free when they are ({free})",
    "gender_preference": "No volunteer nearby meets the wish about gender",
    "dbs_if_needed": "They need a volunteer with a DBS check, and none nearby has one",
    "not_rejected_or_ended_before": "Each volunteer nearby was rejected or ended with them before",
}


def why_waiting(newcomer: dict[str, Any]) -> str:
    """Why the last run left a newcomer waiting, in plain words with their own details ("No
    ready volunteer nearby speaks Tigrinya"); what to do when it is for want of a group."""
    unmatched = newcomer.get("unmatched")
    if not unmatched:
        return "Not in a run yet" if not newcomer.get("last_run_at") else ""
    because = unmatched.get("because")
    if because == "no_group_yet":
        return "No local group covers their area yet: place them in one (Network)"
    if because == "no_volunteer_nearby":
        return f"No volunteer lives in or near {newcomer['district']} yet"
    if because == "others_chosen":
        if unmatched.get("eligible") == 1:
            return "The one volunteer who fits was proposed to someone else this time"
        return f"All {unmatched['eligible']} volunteers who fit were proposed to others this time"
    if because == "rule_missing" and unmatched.get("rule") in _MISSING:
        said = _MISSING[str(unmatched["rule"])].format(
            district=newcomer["district"],
            languages=_and([language(c) for c in newcomer["languages"]]) or "their languages",
            free=", ".join(f"{DAY_NAMES[s['day']]} {s['part']}" for s in newcomer["availability"]),
        )
        return f"{said} ({unmatched['times']} of the {unmatched['checked']} nearby)"
    return str(unmatched.get("why", ""))
