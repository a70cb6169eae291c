"""From sign-up and request to an approved match, through the gateway, RabbitMQ and the real
databases; and the coordinator's rules on the way.

Real: RabbitMQ (a private vhost), PostgreSQL (private databases), matching's internal API
over TCP (threaded), the gateway app, the gateway and matching relays and the matching worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from matching.adapters.models import Match, Outbox, Volunteer
from matching.service_layer import coordination
from sanctuary.runtime import Service
from sanctuary_dev.messages import publish_message
from sanctuary_dev.processes import running_worker, wait_until
from sqlalchemy import select, update

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer coordinator-token"}
SLOT = [{"day": "sat", "part": "morning"}]


LEEDS = {"slug": "leeds", "name": "Leeds", "contact": "leeds@example.org", "areas": ["LS"]}


@pytest.fixture
def gateway(gateway_client: Callable[..., FlaskClient], matching_url: str) -> FlaskClient:
    """A client of the gateway routing to that API; the gateway relay runs. One local group
    covers every LS postcode, so everyone here is placed in it (matching pairs people of one
    group only)."""
    client = gateway_client(matching_url=matching_url)
    answer = client.post("/api/v1/groups", json=LEEDS, headers=ADMIN)
    assert answer.status_code == 201, answer.json
    return client


def sign_up(client: FlaskClient, **extra: Any) -> str:
    answer = client.post(
        "/api/v1/volunteers",
        json={
            "name": "Sam",
            "email": f"sam-{uuid.uuid4().hex[:6]}@example.org",
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
            **extra,
        },
    )
    assert answer.status_code == 202, answer.json
    return str(answer.json["id"])


def request_befriender(client: FlaskClient, **extra: Any) -> str:
    answer = client.post(
        "/api/v1/newcomers",
        json={
            "name": "Yonas",
            "referrer_email": "worker@charity.example",
            "postcode": "LS6 2BB",
            "languages": ["ar"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
            **extra,
        },
    )
    assert answer.status_code == 202, answer.json
    return str(answer.json["id"])


def status(client: FlaskClient, kind: str, ident: str) -> str:
    return str(client.get(f"/api/v1/{kind}/{ident}").json["status"])


def make_ready(client: FlaskClient, matching: Service, volunteer_id: str) -> None:
    """References and screening by the coordinator, training by the events service."""
    answer = client.post(
        f"/api/v1/volunteers/{volunteer_id}/checks",
        headers=ADMIN,
        json={"references": "verified", "screening": "passed"},
    )
    assert answer.json["status"] == "applied"  # training still missing
    from sanctuary.contracts import TrainingCompleted

    with matching.sessions() as session:
        volunteer = session.get(Volunteer, uuid.UUID(volunteer_id))
        assert volunteer is not None
        email = volunteer.email
    someone_else = TrainingCompleted(
        event_id=uuid.uuid4(),
        registration_id=uuid.uuid4(),
        topic="safeguarding",
        completed_at=datetime.now(UTC),
        volunteer_id=uuid.UUID(volunteer_id),
        email="friend@example.org",
    )
    publish_message(matching.config.amqp_url, someone_else)  # not credited: not their email
    publish_message(
        matching.config.amqp_url,
        TrainingCompleted(
            event_id=uuid.uuid4(),
            registration_id=uuid.uuid4(),
            topic="safeguarding",
            completed_at=datetime.now(UTC),
            volunteer_id=uuid.UUID(volunteer_id),
            email=email,
        ),
    )
    wait_until(lambda: status(client, "volunteers", volunteer_id) == "ready")


def published(matching: Service) -> list[str]:
    with matching.sessions() as session:
        return list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))


def test_a_sign_up_and_a_request_become_an_approved_match(
    gateway: FlaskClient, matching: Service
) -> None:
    """Ready after every check, proposed by a run, approved by a coordinator; all announced."""
    with running_worker(matching):
        volunteer = sign_up(gateway)
        newcomer = request_befriender(gateway)
        wait_until(lambda: status(gateway, "newcomers", newcomer) == "waiting")
        make_ready(gateway, matching, volunteer)
    dry = gateway.post("/api/v1/matching/runs", headers=ADMIN, json={"dry_run": True}).json
    assert [p["newcomer_id"] for p in dry["proposals"]] == [newcomer]
    assert status(gateway, "newcomers", newcomer) == "waiting"  # a dry run changes nothing
    run = gateway.post("/api/v1/matching/runs", headers=ADMIN, json={"dry_run": False}).json
    [proposal] = run["proposals"]
    assert proposal["score"] == sum(proposal["explanation"]["factors"].values())
    assert status(gateway, "newcomers", newcomer) == "proposed"
    [match] = gateway.get("/api/v1/matches?status=proposed", headers=ADMIN).json
    assert (match["volunteer_id"], match["newcomer_id"]) == (volunteer, newcomer)
    # The gateway placed both in the Leeds group by postcode; the match is that group's.
    with matching.sessions() as session:
        placed = session.get(Volunteer, uuid.UUID(volunteer))
        assert placed is not None
        assert placed.group_id is not None
    assert match["group_id"] == str(placed.group_id)
    approved = gateway.post(f"/api/v1/matches/{match['id']}/approve", headers=ADMIN, json={})
    assert approved.json["status"] == "approved"
    # The coordinator sees when each check-in falls due: two weeks, three months on.
    approved_at = datetime.fromisoformat(approved.json["approved_at"])
    schedule = {c["name"]: c for c in approved.json["checkins"]}
    assert datetime.fromisoformat(schedule["two_weeks"]["due_at"]) - approved_at == timedelta(14)
    assert datetime.fromisoformat(schedule["three_months"]["due_at"]) - approved_at == timedelta(91)
    assert not any(c["sent"] for c in schedule.values())
    assert status(gateway, "newcomers", newcomer) == "matched"
    again = gateway.post(f"/api/v1/matches/{match['id']}/approve", headers=ADMIN, json={})
    assert again.status_code == 409
    assert "cannot approve a match that is approved" in again.json["detail"]
    assert published(matching)[-2:] == ["match.proposed", "match.approved"]
    assert "volunteer.checks_recorded" in published(matching)


def test_a_rejected_pair_is_never_proposed_again(gateway: FlaskClient, matching: Service) -> None:
    """Reject with a reason: both back in the pool, this pair excluded for good."""
    with running_worker(matching):
        volunteer, newcomer = sign_up(gateway), request_befriender(gateway)
        wait_until(lambda: status(gateway, "newcomers", newcomer) == "waiting")
        make_ready(gateway, matching, volunteer)
    gateway.post("/api/v1/matching/runs", headers=ADMIN, json={"dry_run": False})
    [match] = gateway.get("/api/v1/matches", headers=ADMIN).json
    no_reason = gateway.post(f"/api/v1/matches/{match['id']}/reject", headers=ADMIN, json={})
    assert no_reason.status_code == 422
    assert no_reason.json["errors"][0]["field"] == "reason"
    rejected = gateway.post(
        f"/api/v1/matches/{match['id']}/reject",
        headers=ADMIN,
        json={"reason": "lives on the same street as a relative"},
    )
    assert rejected.json["status"] == "rejected"
    assert status(gateway, "newcomers", newcomer) == "waiting"
    rerun = gateway.post("/api/v1/matching/runs", headers=ADMIN, json={"dry_run": True}).json
    assert rerun["proposals"] == []
    assert rerun["unmatched"][0]["newcomer_id"] == newcomer


def test_two_coordinators_approving_past_a_volunteers_capacity_one_gets_409(
    gateway: FlaskClient, matching: Service
) -> None:
    """The volunteer offered one place; two proposals for them are approved at once."""
    with running_worker(matching):
        volunteer = sign_up(gateway, max_matches=1)
        first, second = request_befriender(gateway), request_befriender(gateway)
        wait_until(lambda: status(gateway, "newcomers", second) == "waiting")
        make_ready(gateway, matching, volunteer)
    ids = []
    with matching.sessions.begin() as session:
        for newcomer in (first, second):
            match = Match(
                id=uuid.uuid4(),
                volunteer_id=uuid.UUID(volunteer),
                newcomer_id=uuid.UUID(newcomer),
                status="proposed",
                score=10,
                explanation={},
                reason=None,
                checkins_sent=[],
                proposed_at=datetime.now(UTC),
                approved_at=None,
                decided_at=None,
            )
            session.add(match)
            ids.append(match.id)
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda m: (
                    gateway.post(f"/api/v1/matches/{m}/approve", headers=ADMIN, json={}).status_code
                ),
                ids,
            )
        )
    assert sorted(answers) == [200, 409]


def test_check_ins_fall_due_two_weeks_and_three_months_after_approval(
    gateway: FlaskClient, matching: Service
) -> None:
    """The clock announces each check-in once."""
    with running_worker(matching):
        volunteer, newcomer = sign_up(gateway), request_befriender(gateway)
        wait_until(lambda: status(gateway, "newcomers", newcomer) == "waiting")
        make_ready(gateway, matching, volunteer)
    gateway.post("/api/v1/matching/runs", headers=ADMIN, json={"dry_run": False})
    [match] = gateway.get("/api/v1/matches", headers=ADMIN).json
    gateway.post(f"/api/v1/matches/{match['id']}/approve", headers=ADMIN, json={})
    with matching.sessions.begin() as session:
        session.execute(update(Match).values(approved_at=datetime.now(UTC) - timedelta(days=15)))
    for _ in range(2):
        with matching.unit_of_work() as uow:
            coordination.announce_due_checkins(uow, datetime.now(UTC))
    assert published(matching).count("match.checkin_due") == 1


def test_coordinator_calls_need_the_token(gateway: FlaskClient) -> None:
    """No token or a wrong one: 401 with WWW-Authenticate: Bearer."""
    for headers in ({}, {"Authorization": "Bearer guess"}):
        answer = gateway.get("/api/v1/matches", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_bad_checks_are_refused_with_the_field(gateway: FlaskClient, matching: Service) -> None:
    """Unknown values, unknown checks and empty bodies: 422 naming the field."""
    with running_worker(matching):
        volunteer = sign_up(gateway)
        wait_until(lambda: status(gateway, "volunteers", volunteer) == "applied")
    url = f"/api/v1/volunteers/{volunteer}/checks"
    bad = gateway.post(url, headers=ADMIN, json={"screening": "great"})
    assert (bad.status_code, bad.json["errors"][0]["field"]) == (422, "screening")
    unknown = gateway.post(url, headers=ADMIN, json={"vibes": "good"})
    assert unknown.json["errors"][0]["field"] == "vibes"
    assert gateway.post(url, headers=ADMIN, json={}).status_code == 422
    missing = gateway.post(
        f"/api/v1/volunteers/{uuid.uuid4()}/checks", headers=ADMIN, json={"references": "verified"}
    )
    assert missing.status_code == 404


def test_training_is_credited_only_to_the_volunteer_who_attended(
    gateway: FlaskClient, matching: Service
) -> None:
    """Someone else registering with a volunteer's id does not complete their training."""
    from matching.adapters.models import Inbox
    from sanctuary.contracts import TrainingCompleted
    from sqlalchemy import func

    with running_worker(matching):
        volunteer = sign_up(gateway)
        wait_until(lambda: status(gateway, "volunteers", volunteer) == "applied")
        gateway.post(
            f"/api/v1/volunteers/{volunteer}/checks",
            headers=ADMIN,
            json={"references": "verified", "screening": "passed"},
        )
        publish_message(
            matching.config.amqp_url,
            TrainingCompleted(
                event_id=uuid.uuid4(),
                registration_id=uuid.uuid4(),
                topic="safeguarding",
                completed_at=datetime.now(UTC),
                volunteer_id=uuid.UUID(volunteer),
                email="a.friend@example.org",
            ),
        )

        def handled() -> bool:
            with matching.sessions() as session:
                return session.scalar(select(func.count()).select_from(Inbox)) == 2

        wait_until(handled)
    assert status(gateway, "volunteers", volunteer) == "applied"


def test_a_reason_given_to_approve_and_a_body_that_is_not_json_are_refused(
    gateway: FlaskClient, matching: Service
) -> None:
    """422 naming reason; 400 for broken JSON, before it reaches matching."""
    match_id = uuid.uuid4()
    approve = gateway.post(
        f"/api/v1/matches/{match_id}/approve", headers=ADMIN, json={"reason": "looks good"}
    )
    assert (approve.status_code, approve.json["errors"][0]["field"]) == (422, "reason")
    broken = gateway.post(
        f"/api/v1/matches/{match_id}/end", headers=ADMIN, data="{", content_type="application/json"
    )
    assert broken.status_code == 400
