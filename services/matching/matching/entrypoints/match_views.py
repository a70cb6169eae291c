"""A match as coordinators see it: its score and explanation, and, in lists, the two people
by first name and area with what they share (matching.domain.pairing)."""

from __future__ import annotations

import uuid
from typing import Any

from sanctuary.db import as_utc
from sanctuary.vocabulary import DATED, CheckOutcome, NewcomerStatus, VolunteerStatus

from matching.adapters.models import Match, Newcomer, Volunteer
from matching.domain import calls, lifecycle, pairing
from matching.service_layer.calls import Call

ERASED = (VolunteerStatus.ERASED, NewcomerStatus.ERASED)


def group_of(row: Volunteer | Newcomer | Match) -> str | None:
    """A row's group id as JSON: null while the person has no local group."""
    return None if row.group_id is None else str(row.group_id)


def match_view(m: Match, people: dict[uuid.UUID, Any] | None = None) -> dict[str, Any]:
    """A match as coordinators see it, with its explanation; with `people` (the rows by id),
    the two of them and what they share."""
    view = {
        "id": str(m.id),
        "volunteer_id": str(m.volunteer_id),
        "newcomer_id": str(m.newcomer_id),
        "group_id": group_of(m),
        "status": m.status,
        "score": m.score,
        "explanation": m.explanation,
        "reason": m.reason,
        "approved_at": m.approved_at and as_utc(m.approved_at).isoformat(),
        # Paused under a safeguarding concern (ADR 45): no check-ins until resumed.
        "paused_at": m.paused_at and as_utc(m.paused_at).isoformat(),
        # The two check-ins, so a coordinator sees which are due and which have gone.
        "checkins": [
            {**c, "due_at": c["due_at"].isoformat()}
            for c in lifecycle.checkin_schedule(as_utc(m.approved_at), m.checkins_sent)
        ]
        if m.approved_at
        else [],
    }
    return view if people is None else {**view, **_pair(m, people)}


def _person(row: Volunteer | Newcomer | None) -> dict[str, Any]:
    if row is None or row.status in ERASED:
        return {"first_name": None, "district": None}
    person = {"first_name": pairing.first_name(row.name), "district": row.district}
    if isinstance(row, Volunteer):  # a check run out flags their matches (ADR 44)
        person["lapsed"] = [c for c in DATED if getattr(row, c) == CheckOutcome.LAPSED]
    return person


def _pair(m: Match, people: dict[uuid.UUID, Any]) -> dict[str, Any]:
    """The two people of a match, and what they share; nothing shared with an erased one."""
    volunteer, newcomer = people.get(m.volunteer_id), people.get(m.newcomer_id)
    pair: dict[str, Any] = {"volunteer": _person(volunteer), "newcomer": _person(newcomer)}
    if newcomer is not None and newcomer.status not in ERASED:
        pair["newcomer"]["waiting_since"] = as_utc(newcomer.registered_at).isoformat()
    if volunteer is None or newcomer is None or {volunteer.status, newcomer.status} & set(ERASED):
        return {**pair, "shared": None}
    return {
        **pair,
        "shared": pairing.shared(
            (volunteer.languages, newcomer.languages),
            (volunteer.availability, newcomer.availability),
            volunteer.interests,
            newcomer.interests,
            newcomer.needs,
        ),
    }


def newcomer_view(n: Newcomer) -> dict[str, Any]:
    """A waiting newcomer as the coordinators' list shows them: first name, area, since when,
    what matching weighs, how to reach them (never the address itself), and why the last run
    left them waiting."""
    return {
        "id": str(n.id),
        "first_name": pairing.first_name(n.name),
        "district": n.district,
        "group_id": group_of(n),
        "status": n.status,
        "waiting_since": as_utc(n.registered_at).isoformat(),
        "languages": sorted(n.languages),
        "wants_english_practice": n.wants_english_practice,
        "availability": [{"day": day, "part": part} for day, part in n.availability],
        "needs": sorted(n.needs),
        "referred": n.email is None and n.referrer_email is not None,
        "reach": calls.reach(n.email, n.referrer_email),
        "paused_since": as_utc(n.paused_at).isoformat() if n.paused_at else None,
        "last_run_at": as_utc(n.last_run_at).isoformat() if n.last_run_at else None,
        "unmatched": n.unmatched,
    }


def call_view(call: Call) -> dict[str, Any]:
    """A call owed, as the coordinators' list shows it: whom, on which number, why, and for
    an introduction, the befriender's first name."""
    n = call.newcomer
    return {
        "newcomer_id": str(n.id),
        "first_name": pairing.first_name(n.name),
        "phone": n.phone,
        "languages": sorted(n.languages),
        "group_id": group_of(n),
        "status": n.status,
        "waiting_since": as_utc(n.registered_at).isoformat(),
        "why": call.why,
        "befriender": pairing.first_name(call.befriender.name) if call.befriender else None,
    }
