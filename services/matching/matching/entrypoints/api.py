"""Matching's internal HTTP API, for the gateway only (it needs the service credential).

Each call is scoped to the groups the gateway says its caller may see (X-Groups; absent:
every group): the routes hand that scope to the use cases, which treat anyone outside it as
not found, and lists show only its rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sanctuary import erasure_records, tally_route
from sanctuary.bodies.matching import (
    STATUS_FILTER,
    ChecksSchema,
    DecisionSchema,
    MoveSchema,
    RunSchema,
)
from sanctuary.bodies.privacy import SubjectSchema
from sanctuary.db import as_utc
from sanctuary.problems import answer_errors, problem
from sanctuary.scope import caller_groups, listed_groups
from sanctuary.vocabulary import CHECK_OUTCOMES, MatchAction, MatchEnding
from sanctuary.web import (
    current_service,
    invalid,
    load_body,
    require_service_token,
    unit_of_work,
)
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from matching.adapters.models import Tally, Volunteer
from matching.domain import lifecycle
from matching.entrypoints.match_views import call_view, match_view, newcomer_view
from matching.entrypoints.match_views import group_of as _group
from matching.service_layer import calls, coordination, expiry, moves, privacy, views

blueprint = Blueprint("matching_internal", __name__, url_prefix="/internal/v1")
require_service_token(blueprint)


tally_route.add(blueprint, Tally)
answer_errors(
    blueprint,
    {
        coordination.NotFound: 404,
        lifecycle.IllegalTransition: 409,
        lifecycle.OverCapacity: 409,
        moves.InOpenMatch: 409,
        calls.NoCallOwed: 409,
    },
)


@blueprint.errorhandler(IntegrityError)
def _raced(exc: Exception) -> Response:
    # The unique open-match index refused a second befriender for someone: another run or
    # decision got there first.
    return problem(
        409,
        "Conflict",
        "Someone else changed these matches at the same moment; look again and retry.",
    )


def status_filter(kind: str) -> str | None:
    status = request.args.get("status")
    if status is not None and status not in STATUS_FILTER[kind]:
        raise BadRequest(f"status must be one of {', '.join(STATUS_FILTER[kind])}")
    return status


def group_filter() -> frozenset[uuid.UUID] | None:
    """The groups a list shows: those of the repeated `group_id` query parameter (none: every
    group) within the caller's; None: every row, people with no group too."""
    return listed_groups()


@blueprint.get("/volunteers/<uuid:volunteer_id>")
def volunteer_status(volunteer_id: uuid.UUID) -> Response:
    """A volunteer's status, and nothing personal."""
    with current_service().sessions() as session:
        volunteer = views.volunteer(session, volunteer_id, caller_groups())
        return jsonify(id=str(volunteer.id), status=volunteer.status, group_id=_group(volunteer))


@blueprint.get("/newcomers/<uuid:newcomer_id>")
def newcomer_status(newcomer_id: uuid.UUID) -> Response:
    """A newcomer's status, and nothing personal."""
    with current_service().sessions() as session:
        newcomer = views.newcomer(session, newcomer_id, caller_groups())
        return jsonify(id=str(newcomer.id), status=newcomer.status, group_id=_group(newcomer))


def volunteer_view(v: Volunteer) -> dict[str, Any]:
    """What a coordinator sees of a volunteer."""
    return {
        "id": str(v.id),
        "name": v.name,
        "email": v.email,
        "district": v.district,
        "group_id": _group(v),
        "status": v.status,
        "max_matches": v.max_matches,
        "checks": {k: getattr(v, k) for k in CHECK_OUTCOMES},
        # The DBS check and training run out (ADR 44): when, and how each stands now.
        "dated": expiry.dated(v, current_service().config.validity, datetime.now(UTC)),
        "paused_since": as_utc(v.paused_at).isoformat() if v.paused_at else None,
        # What the coordinator weighs when placing them: none held without their consent.
        "languages": sorted(v.languages),
        "availability": [{"day": day, "part": part} for day, part in v.availability],
        "applied_at": as_utc(v.registered_at).isoformat(),
    }


@blueprint.get("/volunteers")
def list_volunteers() -> Response:
    """Volunteers, oldest first, optionally by status and by group (`group_id`, repeated)."""
    status, groups = status_filter("volunteers"), group_filter()
    with current_service().sessions() as session:
        return jsonify([volunteer_view(v) for v in views.volunteers(session, status, groups)])


@blueprint.get("/newcomers")
def list_newcomers() -> Response:
    """Newcomers, the longest waiting first, optionally by status and by group (`group_id`,
    repeated), each with why the last run left them waiting."""
    status, groups = status_filter("newcomers"), group_filter()
    with current_service().sessions() as session:
        return jsonify([newcomer_view(n) for n in views.newcomers(session, status, groups)])


@blueprint.get("/calls")
def list_calls() -> Response:
    """The calls owed to newcomers reached by phone only (ADR 0039), the longest waiting
    first, optionally by group (`group_id`, repeated)."""
    with current_service().sessions() as session:
        return jsonify([call_view(c) for c in calls.owed(session, group_filter())])


@blueprint.post("/newcomers/<uuid:newcomer_id>/called")
def record_call(newcomer_id: uuid.UUID) -> Response:
    """A coordinator made the call owed; 409 if none was."""
    with unit_of_work() as uow:
        newcomer = calls.called(uow, newcomer_id, scope=caller_groups())
        view = newcomer_view(newcomer)
    return jsonify(view)


@blueprint.post("/volunteers/<uuid:volunteer_id>/checks")
def record_checks(volunteer_id: uuid.UUID) -> Response:
    """Record references, screening, DBS or training; the status follows."""
    changes = load_body(ChecksSchema())
    with unit_of_work() as uow:
        volunteer = coordination.record_checks(uow, volunteer_id, changes, scope=caller_groups())
    return jsonify(volunteer_view(volunteer))


@blueprint.get("/matches/<uuid:match_id>")
def get_match(match_id: uuid.UUID) -> Response:
    """One match, with its group (what a safeguarding concern about it is routed by)."""
    with current_service().sessions() as session:
        return jsonify(match_view(views.match(session, match_id, caller_groups())))


@blueprint.get("/matches")
def list_matches() -> Response:
    """Matches, newest first, optionally by status and by group (`group_id`, repeated)."""
    status, groups = status_filter("matches"), group_filter()
    with current_service().sessions() as session:
        listed = views.matches(session, status, groups)
        people = views.people_of(session, listed)
        return jsonify([match_view(m, people) for m in listed])


@blueprint.post("/<any(volunteers, newcomers):people>/<uuid:person_id>/group")
def move_person(people: str, person_id: uuid.UUID) -> Response:
    """Move a volunteer or a newcomer to another local group; 409 while a match holds them."""
    body = load_body(MoveSchema())
    kind = people.removesuffix("s")
    with unit_of_work() as uow:
        person = moves.move(uow, kind, person_id, body["group_id"], scope=caller_groups())
        view = {"id": str(person.id), "status": person.status, "group_id": _group(person)}
    return jsonify(view)


@blueprint.get("/unplaced")
def unplaced_people() -> Response:
    """The people no local group covers yet (network admins: for a coordinator, nobody),
    with what placing them needs and no contact details."""
    with current_service().sessions() as session:
        people = views.unplaced(session, caller_groups())
        return jsonify(
            [
                {
                    "id": str(p.id),
                    "kind": "volunteer" if isinstance(p, Volunteer) else "newcomer",
                    "name": p.name,
                    "district": p.district,
                    "status": p.status,
                    "registered_at": as_utc(p.registered_at).isoformat(),
                }
                for p in people
            ]
        )


@blueprint.get("/groups/summary")
def groups_summary() -> Response:
    """Per group the caller may see: volunteers applied and ready, newcomers waiting and the
    longest wait, proposals to decide (group_id null: people with no local group yet)."""
    with current_service().sessions() as session:
        return jsonify(views.summary(session, group_filter()))


@blueprint.post("/matches/<uuid:match_id>/<any(approve, reject, activate, end):action>")
def decide(match_id: uuid.UUID, action: str) -> Response:
    """approve, reject (with a reason), activate (the pair have met) or end (with a reason)."""
    decision = load_body(DecisionSchema())
    if action in (MatchAction.APPROVE, MatchAction.ACTIVATE) and decision.get("reason"):
        raise invalid({"reason": [f"A reason is not taken to {action} a match."]})
    if action in (MatchAction.REJECT, MatchAction.END) and not decision.get("reason"):
        raise invalid({"reason": [f"A reason is needed to {action} a match."]})
    if action != MatchAction.END and decision.get("ending"):
        raise invalid({"ending": [f"How it ended is not taken to {action} a match."]})
    with unit_of_work() as uow:
        match = coordination.decide(
            uow,
            match_id,
            action,
            reason=decision.get("reason"),
            ending=MatchEnding(decision.get("ending", MatchEnding.OTHER)),
            newcomer_wants_another=decision["newcomer_wants_another"],
            scope=caller_groups(),
        )
    return jsonify(match_view(match))


@blueprint.post("/runs")
def start_run() -> Response:
    """Run the matcher now, for one local group (`group_id`) or every group the caller may
    see, each on its own: proposals with explanations, the total, and who stays unmatched (in
    a network admin's run of every group, the newcomers with no group yet, as "no local group
    yet"). A group the caller may not see is not found."""
    options = load_body(RunSchema())
    with unit_of_work() as uow:
        result = coordination.start_run(
            uow, dry_run=options["dry_run"], group_id=options["group_id"], scope=caller_groups()
        )
        left_out = expiry.left_out(uow.session, _run_groups(options["group_id"]))
    return jsonify(
        dry_run=options["dry_run"],
        total_score=result.total_score,
        proposals=[
            {
                "volunteer_id": str(p.volunteer_id),
                "newcomer_id": str(p.newcomer_id),
                "score": p.score,
                "explanation": p.explanation(),
            }
            for p in result.proposals
        ],
        unmatched=[{"newcomer_id": str(n), "why": why} for n, why in result.unmatched.items()],
        left_out=left_out,
    )


def _run_groups(group_id: uuid.UUID | None) -> frozenset[uuid.UUID] | None:
    """The groups a run covered: the one asked for, else the caller's (None: every one)."""
    return frozenset({group_id}) if group_id is not None else caller_groups()


@blueprint.get("/newcomers/<uuid:newcomer_id>/suggestions")
def suggestions(newcomer_id: uuid.UUID) -> Response:
    """The five best ready volunteers for one waiting newcomer."""
    with current_service().sessions() as session:
        return jsonify(views.suggest(session, newcomer_id, caller_groups()))


@blueprint.post("/subjects")
def subject_access() -> Response:
    """Every row about one person, in every table (ADR 0025), a match partner by first name
    only; not filtered by the caller's groups, since it is about one person and must be whole."""
    body = load_body(SubjectSchema())
    service = current_service()
    with service.sessions() as session:
        found = privacy.export(session, service.config.link_secret, **body)
    asked = [*body["volunteer_ids"], *body["newcomer_ids"], *body["registration_ids"]]
    found = erasure_records.with_queued(found, service.config, body["email"], asked)
    return jsonify(service="matching", **found)
