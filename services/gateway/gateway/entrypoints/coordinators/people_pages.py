"""The dashboard's volunteers and matches: checks, contact details, decisions, matching runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sanctuary import fields, references
from sanctuary.vocabulary import (
    CHECK_OUTCOMES,
    MatchAction,
    MatchEnding,
    MatchStatus,
    NewcomerStatus,
    VolunteerStatus,
)
from sanctuary.web import current_service
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as Redirect

from gateway.entrypoints.coordinators import wording
from gateway.entrypoints.coordinators.dashboard import act, answered, audited, blp, call, fetch
from gateway.entrypoints.public_pages.people import DAY_NAMES, PART_NAMES
from gateway.service_layer import intake

# Volunteers and their checks.


PAGE = 50  # volunteers a page: each card is a form


# The two lists a coordinator works from: who waits for checks, and who is ready.
LISTS = {VolunteerStatus.APPLIED: "Volunteers waiting for checks", VolunteerStatus.READY: "Ready"}


@blp.app_template_filter("reference")
def reference(record_id: str) -> str:
    """The reference the person was given (K7M4-Q2PX): what they quote on the phone."""
    return references.of(uuid.UUID(record_id))


@blp.app_template_filter("language_names")
def language_names(codes: list[str]) -> str:
    return ", ".join(wording.language(code) for code in codes) or "not shared"


@blp.app_template_filter("free_at")
def free_at(slots: list[dict[str, str]]) -> str:
    """When someone is free, compactly: "Sat morning, Sun afternoon"."""
    return ", ".join(f"{DAY_NAMES[s['day']][:3]} {PART_NAMES[s['part']].lower()}" for s in slots)


@blp.get("/volunteers")
def volunteers() -> str:
    """Volunteers waiting for checks (the longest waiting first), or those ready, a page at a
    time."""
    status = request.args.get("status", VolunteerStatus.APPLIED)
    if status not in LISTS:
        raise NotFound()
    listed = fetch("matching", "/internal/v1/volunteers", status=status)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    last = max((len(listed) + PAGE - 1) // PAGE, 1)
    page = min(page, last)
    return render_template(
        "coordinator/volunteers.html",
        volunteers=listed[(page - 1) * PAGE : page * PAGE],
        status=status,
        lists=LISTS,
        checks=CHECK_OUTCOMES,
        page=page,
        pages=last,
        total=len(listed),
    )


@blp.get("/newcomers")
@audited
def newcomers() -> str:
    """The calls owed to newcomers with a phone only (their numbers: audited), then who is
    waiting for a befriender, the longest first, and why the last run left each waiting."""
    waiting = fetch("matching", "/internal/v1/newcomers", status=NewcomerStatus.WAITING)
    now = datetime.now(UTC)
    for newcomer in waiting:
        newcomer["days"] = (now - datetime.fromisoformat(newcomer["waiting_since"])).days
    return render_template(
        "coordinator/newcomers.html",
        newcomers=waiting,
        calls=fetch("matching", "/internal/v1/calls"),
        why_waiting=wording.why_waiting,
    )


@blp.post("/newcomers/<uuid:newcomer_id>/called")
def record_call(newcomer_id: uuid.UUID) -> Redirect:
    """The coordinator made the call owed (ADR 0039)."""
    path = f"/internal/v1/newcomers/{newcomer_id}/called"
    return act("matching", "POST", path, "Call recorded.", url_for(".newcomers"))


@blp.app_template_filter("phone")
def phone(e164: str) -> str:
    """A number as one dials it from here: "0113 496 0123"; another country's with its code."""
    return fields.shown_phone(e164)


@blp.post("/volunteers/<uuid:volunteer_id>/checks")
def record_checks(volunteer_id: uuid.UUID) -> Redirect:
    changes = {k: v for k in CHECK_OUTCOMES if (v := request.form.get(k, "").strip())}
    if not changes:
        flash("Choose at least one check to record.", "error")
        return redirect(url_for(".volunteers"), code=303)
    return act(
        "matching",
        "POST",
        f"/internal/v1/volunteers/{volunteer_id}/checks",
        "Checks recorded.",
        url_for(".volunteers"),
        json=changes,
    )


@blp.post("/volunteers/<uuid:volunteer_id>/contact")
def volunteer_contact(volunteer_id: uuid.UUID) -> str:
    """Show contact details: a deliberate, audited action; the page is not cached."""
    everyone = fetch("matching", "/internal/v1/volunteers")
    found = next((v for v in everyone if v["id"] == str(volunteer_id)), None)
    if found is None:
        raise NotFound()
    return render_template("coordinator/contact.html", person=found)


# Matches.


@blp.get("/matches")
def matches() -> str:
    lists = {
        status: fetch("matching", "/internal/v1/matches", status=status)
        for status in (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.ACTIVE)
    }
    now = datetime.now(UTC).isoformat()
    return render_template(
        "coordinator/matches.html",
        now=now,
        reasons=wording.reasons,
        rules=wording.RULES,
        factors=wording.FACTORS,
        endings={k: v for k, v in wording.ENDINGS.items() if k != MatchEnding.WITHDRAWN},
        **lists,
    )


@blp.post("/matches/<uuid:match_id>/<any(approve, reject, activate, end):action>")
def decide(match_id: uuid.UUID, action: str) -> Redirect:
    body: dict[str, Any] = {}
    if action in (MatchAction.REJECT, MatchAction.END) and request.form.get("reason", "").strip():
        body["reason"] = request.form["reason"].strip()  # none: matching says it is needed
    if action == MatchAction.END:
        body["newcomer_wants_another"] = request.form.get("newcomer_wants_another") == "yes"
        if request.form.get("ending"):
            body["ending"] = request.form["ending"]  # matching says if it is not one of its words
    done = {
        MatchAction.APPROVE: "Approved: both are being introduced by email.",
        MatchAction.REJECT: "Rejected.",
        MatchAction.ACTIVATE: "Marked as met.",
        MatchAction.END: "Ended.",
    }[action]
    return act(
        "matching",
        "POST",
        f"/internal/v1/matches/{match_id}/{action}",
        done,
        url_for(".matches"),
        json=body,
    )


@blp.post("/matching/runs")
def start_run() -> Redirect:
    answer = call("matching", "POST", "/internal/v1/runs", json={"dry_run": False})
    said = "The matcher ran; its proposals are below."
    left_out = answer.json().get("left_out", []) if answer.ok else []
    if left_out:  # ADR 44: a check ran out
        said += (
            f" {len(left_out)} volunteer{'s were' if len(left_out) > 1 else ' was'} left out: "
            "a DBS check or safeguarding training ran out (see Volunteers)."
        )
    return answered(answer, said, url_for(".matches"))


@blp.get("/find")
def find() -> Redirect:
    """The reference a person quotes on the phone leads to them, within the caller's groups:
    their card, their line among the newcomers, or their event's registrations."""
    found = intake.by_reference(current_service().sessions, request.args.get("reference", ""))
    if len(found) != 1:
        flash(
            "Two records share this reference: ask for the link in their email."
            if found
            else "Nobody has this reference (eight letters and numbers, such as K7M4-Q2PX).",
            "error",
        )
        return redirect(url_for(".index"), code=303)
    [(kind, record_id)] = found
    if kind == "registration":
        place = fetch("events", f"/internal/v1/registrations/{record_id}")
        return redirect(url_for(".event", event_id=place["event_id"]) + f"#r-{record_id}", code=303)
    person = fetch("matching", f"/internal/v1/{kind}s/{record_id}")
    if kind == "newcomer" and person["status"] == NewcomerStatus.WAITING:
        return redirect(url_for(".newcomers") + f"#n-{record_id}", code=303)
    if kind == "volunteer" and person["status"] in LISTS:
        where = url_for(".volunteers", status=person["status"])
        return redirect(f"{where}#v-{record_id}", code=303)
    flash(f"This {kind} is {person['status']}: see Matches.", "ok")
    return redirect(url_for(".matches"), code=303)
