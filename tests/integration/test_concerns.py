"""Safeguarding concerns (issue 19, ADR 45): raised anonymously about a match, routed to its
group's lead and deputy; about something unknown, to the network's lead; the case file opened
by the lead, the deputy and the network lead only (anyone else, a network admin included:
404), every attempt audited; acknowledged, a referral added, closed only with an outcome; an
urgent concern nobody acknowledges within an hour escalated once; the emails name no detail.

Real: the gateway, matching, events and notifications on PostgreSQL, their internal APIs over
TCP, the gateway's relay; time-machine moves the clock for the hour."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from coordinator_walk import PASSWORD, gateway_before_services
from flask.testing import FlaskClient
from gateway.adapters.models import AuditRecord, Outbox
from gateway.service_layer import concerns, groups, staff
from matching.adapters.models import Match
from matching.service_layer import coordination
from sanctuary import contracts as c
from sanctuary.runtime import Service
from sanctuary.vocabulary import READY_WHEN, MatchAction
from sanctuary_dev.messages import apply, group_created, requested, signed_up
from sqlalchemy import select

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer coordinator-token"}
SLOT = (("sat", "morning"),)
PEOPLE = ("lead", "deputy", "colleague", "bradford-lead", "admin", "network-lead")


@pytest.fixture
def network(
    gateway_client: Callable[..., Any], matching: Service, events: Service, notifications: Service
) -> Iterator[tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID]]:
    """Leeds and Bradford; a coordinator of each role with a personal token; a match in
    Leeds."""
    apply(notifications, group_created())  # the network's own group, as `migrate` seeds it
    with gateway_before_services(gateway_client, matching, events, notifications) as client:
        units = client.application.extensions["service"].unit_of_work
        for slug in ("leeds", "bradford"):
            body = {"slug": slug, "name": slug.title(), "contact": f"{slug}@example.org"}
            assert client.post("/api/v1/groups", json=body, headers=ADMIN).status_code == 201
        sessions = client.application.extensions["service"].sessions
        leeds = groups.by_slug(sessions, "leeds")
        assert leeds is not None
        tokens = {}
        for who in PEOPLE:
            where = ("bradford",) if who == "bradford-lead" else ("leeds",)
            made = staff.create_coordinator(
                units, f"{who}@example.org", who, PASSWORD,
                groups=() if who == "admin" else where, network_admin=who == "admin",
            )  # fmt: skip
            tokens[who] = {"Authorization": f"Bearer {staff.issue_token(units, made, 't').token}"}
        named = {
            "safeguarding_lead": "lead@example.org",
            "safeguarding_deputy": "deputy@example.org",
        }
        answer = client.patch("/api/v1/groups/leeds", json=named, headers=ADMIN)
        assert answer.status_code == 200, answer.json
        bradford = {"safeguarding_lead": "bradford-lead@example.org"}
        assert (
            client.patch("/api/v1/groups/bradford", json=bradford, headers=ADMIN).status_code == 200
        )
        lead = client.put("/api/v1/safeguarding/network-lead", headers=tokens["admin"],
                          json={"email": "network-lead@example.org"})  # fmt: skip
        assert lead.status_code == 204, lead.json
        yield client, tokens, _a_match(matching, leeds.id)


def _a_match(matching: Service, group: uuid.UUID) -> uuid.UUID:
    volunteer = signed_up(group_id=group, availability=SLOT, languages=("ar",))
    newcomer = requested(group_id=group, availability=SLOT, languages=("ar",), postcode="LS6 2BB")
    apply(matching, volunteer, newcomer)
    with matching.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer.volunteer_id, dict(READY_WHEN))
    with matching.unit_of_work() as uow:
        coordination.start_run(uow, dry_run=False)
    with matching.sessions() as session:
        match_id = session.scalars(select(Match.id)).one()
    with matching.unit_of_work() as uow:
        coordination.decide(uow, match_id, MatchAction.APPROVE)
    return match_id


def raised(client: FlaskClient, about: dict[str, str], urgency: str = "soon") -> str:
    body = {
        "about": about,
        "category": "boundaries",
        "urgency": urgency,
        "details": "The befriender asked Amal to lend them money.",
    }
    answer = client.post("/api/v1/concerns", json=body)
    assert answer.status_code == 202, answer.json
    return str(answer.json["id"])


def announced(client: FlaskClient, kind: str) -> list[dict[str, Any]]:
    with client.application.extensions["service"].sessions() as session:
        rows = session.scalars(
            select(Outbox).where(Outbox.type == kind).order_by(Outbox.created_at)
        )
        return [json.loads(row.body) for row in rows]


def test_a_concern_reaches_its_groups_leads_and_only_they_open_it(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID], notifications: Service
) -> None:
    client, tokens, match_id = network
    concern = raised(client, {"kind": "match", "id": str(match_id)})
    [fact] = announced(client, "concern.raised")
    assert sorted(fact["notify"]) == ["deputy@example.org", "lead@example.org"]
    assert set(fact) == {"concern_id", "reference", "urgency", "notify", "group_id"}  # no details
    unknown = raised(client, {"kind": "volunteer", "id": str(uuid.uuid4())})
    assert announced(client, "concern.raised")[1]["notify"] == ["network-lead@example.org"]

    answers = {who: client.get(f"/api/v1/concerns/{concern}", headers=tokens[who]).status_code
               for who in PEOPLE}  # fmt: skip
    assert answers == {"lead": 200, "deputy": 200, "network-lead": 200,
                       "colleague": 404, "bradford-lead": 404, "admin": 404}  # fmt: skip
    assert client.get(f"/api/v1/concerns/{concern}", headers=ADMIN).status_code == 404
    assert client.get(f"/api/v1/concerns/{unknown}", headers=tokens["lead"]).status_code == 404
    with client.application.extensions["service"].sessions() as session:
        audited = session.scalars(
            select(AuditRecord.status).where(AuditRecord.target_id == concern)
        ).all()
    assert sorted(audited) == [200, 200, 200, 404, 404, 404, 404]  # every attempt
    listed = client.get("/api/v1/concerns", headers=tokens["network-lead"]).json
    assert {c["id"] for c in listed} == {concern, unknown}
    assert [c["id"] for c in client.get("/api/v1/concerns", headers=tokens["deputy"]).json] == [
        concern
    ]
    assert client.get("/api/v1/concerns", headers=tokens["admin"]).json == []

    # The case file: acknowledged, a referral, closed only with an outcome; then shut.
    lead = tokens["lead"]
    assert client.post(f"/api/v1/concerns/{concern}/acknowledge", headers=lead).json["status"] == (
        "acknowledged"
    )
    referral = {"kind": "referral", "body": "Told the council's MASH.", "referred_to": "Leeds MASH"}
    assert client.post(f"/api/v1/concerns/{concern}/entries", json=referral,
                       headers=lead).status_code == 201  # fmt: skip
    refused = client.post(f"/api/v1/concerns/{concern}/close", json={}, headers=lead)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "outcome"
    closing = {
        "outcome": "Spoke with both; the befriender apologised.",
        "closure_reason": "resolved",
    }
    closed = client.post(f"/api/v1/concerns/{concern}/close", json=closing, headers=lead)
    assert (closed.status_code, closed.json["status"]) == (200, "closed")
    again = client.post(f"/api/v1/concerns/{concern}/entries", json=referral, headers=lead)
    assert again.status_code == 409
    case = client.get(f"/api/v1/concerns/{concern}", headers=tokens["deputy"]).json
    assert [e["referred_to"] for e in case["entries"]] == ["Leeds MASH"]
    assert case["details"] == "The befriender asked Amal to lend them money."

    # Notifications tells each lead that a concern waits: the reference, never the details.
    apply(notifications, c.ConcernRaised(**{**fact, "concern_id": uuid.UUID(fact["concern_id"]),
                                            "notify": tuple(fact["notify"]),
                                            "group_id": None}))  # fmt: skip
    with notifications.sessions() as session:
        from notifications.adapters.models import Delivery

        emails = session.scalars(select(Delivery).where(Delivery.template == "concern_waiting"))
        sent = {(e.to_address, e.context["reference"]) for e in emails}
    assert sent == {(a, fact["reference"]) for a in fact["notify"]}


def test_an_urgent_concern_nobody_takes_in_hand_goes_to_the_network_lead_once(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    client, tokens, match_id = network
    service = client.application.extensions["service"]
    now = datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        urgent = raised(client, {"kind": "match", "id": str(match_id)}, urgency="urgent")
        raised(client, {"kind": "match", "id": str(match_id)}, urgency="routine")
    for moment in (now + timedelta(minutes=59), now + timedelta(minutes=60)):
        with service.unit_of_work() as uow:
            concerns.escalate_due(uow, moment)
    with service.unit_of_work() as uow:
        assert concerns.escalate_due(uow, now + timedelta(hours=3)) == 0  # once
    [escalated] = announced(client, "concern.escalated")
    assert (escalated["concern_id"], escalated["notify"]) == (urgent, ["network-lead@example.org"])
    assert client.get(f"/api/v1/concerns/{urgent}", headers=tokens["lead"]).json["escalated_at"]


def test_the_trustees_log_counts_the_cases_created_and_names_no_one(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    client, tokens, match_id = network
    first = raised(client, {"kind": "match", "id": str(match_id)}, urgency="urgent")
    raised(client, {"kind": "event", "id": str(uuid.uuid4())})  # unknown: the network's
    client.post(f"/api/v1/concerns/{first}/acknowledge", headers=tokens["lead"])
    log = client.get("/api/v1/safeguarding/log", headers=tokens["admin"])
    assert log.status_code == 200, log.json
    assert {k: log.json["all"][k] for k in ("raised", "open", "by_category", "by_urgency")} == {
        "raised": 2,
        "open": 2,
        "by_category": {"boundaries": 2},
        "by_urgency": {"soon": 1, "urgent": 1},
    }
    assert log.json["all"]["median_hours_to_acknowledge"] is not None
    assert "details" not in json.dumps(log.json)
    assert "Amal" not in json.dumps(log.json)
    leeds = client.get("/api/v1/safeguarding/log", headers=tokens["lead"]).json
    assert [row["raised"] for row in leeds["by_group"]] == [1]  # their group's only
    assert client.get("/api/v1/safeguarding/log", headers=tokens["colleague"]).status_code == 403


def test_the_dashboard_shows_a_case_file_to_its_lead_only(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    from coordinator_walk import csrf_token, signed_in

    client, _tokens, match_id = network
    concern = raised(client, {"kind": "match", "id": str(match_id)})
    lead, colleague = (
        signed_in(client, "lead@example.org"),
        signed_in(client, "colleague@example.org"),
    )
    assert colleague.get(f"/coordinator/concerns/{concern}").status_code == 404
    assert "Concerns are seen only by" in colleague.get("/coordinator/concerns").text
    page = lead.get(f"/coordinator/concerns/{concern}")
    assert page.status_code == 200
    assert "The befriender asked Amal to lend them money." in page.text
    token = csrf_token(lead, f"/coordinator/concerns/{concern}")
    taken = lead.post(f"/coordinator/concerns/{concern}/acknowledge", data={"csrf_token": token})
    assert taken.status_code == 303
    shut = lead.post(f"/coordinator/concerns/{concern}/close", data={"csrf_token": token})
    assert shut.status_code == 303  # refused, said on the page: an outcome is needed
    assert "outcome" in lead.get(f"/coordinator/concerns/{concern}").text
    listed = lead.get("/coordinator/concerns").text
    assert "acknowledged" in listed


def test_a_lead_pauses_the_match_under_a_concern_and_resumes_it(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID], matching: Service
) -> None:
    """Paused: no check-in goes, and its volunteer is proposed to nobody else; the match goes
    on, and the case file says so. Only a lead may: anyone else gets 404."""
    from matching.service_layer import population

    client, tokens, match_id = network
    concern = raised(client, {"kind": "match", "id": str(match_id)}, urgency="urgent")
    path = f"/api/v1/concerns/{concern}/match/pause"
    assert client.post(path, headers=tokens["colleague"]).status_code == 404
    paused = client.post(
        path, json={"note": "Until we have spoken to both."}, headers=tokens["lead"]
    )
    assert paused.status_code == 200, paused.json
    with matching.sessions() as session:
        match = session.get(Match, match_id)
        assert match is not None
        assert (match.status, match.paused_at is not None) == ("approved", True)
        volunteer = match.volunteer_id
        assert volunteer not in {v.id for v in population.of(session, datetime.now(UTC)).volunteers}
    with matching.unit_of_work() as uow:
        assert coordination.announce_due_checkins(uow, datetime.now(UTC) + timedelta(days=15)) == 0
    case = client.get(f"/api/v1/concerns/{concern}", headers=tokens["deputy"]).json
    assert case["entries"][0]["body"] == "Match paused: Until we have spoken to both."
    resumed = client.post(f"/api/v1/concerns/{concern}/match/resume", headers=tokens["lead"])
    assert resumed.status_code == 200
    with matching.unit_of_work() as uow:
        assert coordination.announce_due_checkins(uow, datetime.now(UTC) + timedelta(days=15)) == 1
    other = raised(client, {"kind": "event", "id": str(uuid.uuid4())})
    not_a_match = client.post(
        f"/api/v1/concerns/{other}/match/pause", headers=tokens["network-lead"]
    )
    assert not_a_match.status_code == 409


def test_an_erasure_keeps_a_concern_with_its_reason_and_retention_erases_it(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID], matching: Service
) -> None:
    """The person a concern is about asks to be erased: the concern stays, and the erasure's
    matrix says why; once closed for RETAIN_SAFEGUARDING_DAYS it is erased."""
    client, tokens, match_id = network
    with matching.sessions() as session:
        match = session.get(Match, match_id)
        assert match is not None
        newcomer = match.newcomer_id
    concern = raised(client, {"kind": "newcomer", "id": str(newcomer)})
    body = {"newcomer_ids": [str(newcomer)], "reason": "Asked by phone", "confirm": False}
    erasure = client.post("/api/v1/erasures", json=body, headers=ADMIN)
    assert erasure.status_code == 202, erasure.json
    status = client.get(erasure.json["status_url"], headers=ADMIN).json
    [gateway] = [row for row in status["services"] if row["service"] == "gateway"]
    assert gateway["kept"]["safeguarding records (1)"].startswith("a safeguarding record")
    assert client.get(f"/api/v1/concerns/{concern}", headers=tokens["lead"]).status_code == 200

    closing = {"outcome": "Resolved with the family.", "closure_reason": "resolved"}
    assert client.post(f"/api/v1/concerns/{concern}/close", json=closing,
                       headers=tokens["lead"]).status_code == 200  # fmt: skip
    service = client.application.extensions["service"]
    kept_for = timedelta(days=service.config.retention.safeguarding)
    with service.unit_of_work() as uow:
        assert concerns.purge_closed(uow, datetime.now(UTC) - kept_for) == 0
    with service.unit_of_work() as uow:
        assert concerns.purge_closed(uow, datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert client.get(f"/api/v1/concerns/{concern}", headers=tokens["lead"]).status_code == 404


def test_a_coordinator_signed_in_raises_one_as_themselves(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    client, tokens, match_id = network
    body = {"about": {"kind": "match", "id": str(match_id)}, "category": "other",
            "urgency": "routine", "details": "Seen at the café: worth a word."}  # fmt: skip
    made = client.post("/api/v1/concerns", json=body, headers=tokens["colleague"])
    assert made.status_code == 202
    case = client.get(f"/api/v1/concerns/{made.json['id']}", headers=tokens["lead"]).json
    assert case["raised_by"] is not None
    assert case["reporter_contact"] is None
    wrong = client.post("/api/v1/concerns", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401  # a wrong token is refused, not taken as anonymous
    anonymous = client.get(
        f"/api/v1/concerns/{raised(client, body['about'])}", headers=tokens["lead"]
    )
    assert anonymous.json["raised_by"] is None


# Each new route's bad input: (method, path, body, caller, the field the 422 names).
BAD_INPUT = [
        ("POST", "/api/v1/concerns", {"about": {"kind": "person", "id": "x"}}, None, "about"),
        ("POST", "/api/v1/concerns", {"category": "rude"}, None, "category"),
        ("PATCH", "/api/v1/groups/leeds", {"safeguarding_lead": "bradford-lead@example.org"},
         "admin", "safeguarding_lead"),
        ("PATCH", "/api/v1/groups/leeds", {"safeguarding_deputy": "nobody@example.org"},
         "admin", "safeguarding_deputy"),
        ("PUT", "/api/v1/safeguarding/network-lead", {"email": "nobody@example.org"}, "admin",
         "email"),
        ("GET", "/api/v1/reports?from=soon&to=2026-12-31", None, "admin", "from"),
        ("GET", "/api/v1/reports?from=2026-12-31&to=2026-01-01", None, "admin", "to"),
        ("GET", "/api/v1/safeguarding/log?period=fortnight", None, "admin", "period"),
    ]  # fmt: skip


def test_bad_input_is_a_422_naming_the_field(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    client, tokens, _ = network
    for method, path, body, who, field in BAD_INPUT:
        answer = client.open(path, method=method, json=body, headers=tokens[who] if who else {})
        assert answer.status_code == 422, (path, answer.json)
        assert field in {e["field"].split(".")[0] for e in answer.json["errors"]}, path


def test_a_group_change_naming_a_lead_who_cannot_be_one_changes_nothing(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    """The name and the lead are one change: a refused lead leaves the name as it was."""
    client, tokens, _ = network
    change = {"name": "Renamed", "safeguarding_lead": "nobody@example.org"}
    answer = client.patch("/api/v1/groups/leeds", json=change, headers=tokens["admin"])
    assert answer.status_code == 422
    sessions = client.application.extensions["service"].sessions
    leeds = groups.by_slug(sessions, "leeds")
    assert leeds is not None
    assert leeds.name == "Leeds"


def test_a_case_files_bad_steps_are_refused_with_the_field_or_409(
    network: tuple[FlaskClient, dict[str, dict[str, str]], uuid.UUID],
) -> None:
    client, tokens, match_id = network
    concern, lead = raised(client, {"kind": "match", "id": str(match_id)}), tokens["lead"]
    bad_kind = client.post(f"/api/v1/concerns/{concern}/entries", headers=lead,
                           json={"kind": "gossip", "body": "x"})  # fmt: skip
    assert (bad_kind.status_code, bad_kind.json["errors"][0]["field"]) == (422, "kind")
    reason_only = client.post(f"/api/v1/concerns/{concern}/close", headers=lead,
                              json={"outcome": "Talked it through."})  # fmt: skip
    assert (reason_only.status_code, reason_only.json["errors"][0]["field"]) == (
        422,
        "closure_reason",
    )
