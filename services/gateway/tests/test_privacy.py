"""The gateway's part of people's rights (ADR 0025): what it asks the services, what it erases
itself (its outbox rows about the person), the one fact it announces, and the completion
matrix each service's answer fills.

Real: the Flask app on a migrated SQLite file and its outbox. The services' subject reads are
answered by a function standing in for their internal APIs (their own tests cover those).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway.adapters.models import ErasureProgress, Outbox, PrivacyRequest
from gateway.service_layer import erasure_answers, privacy
from sanctuary import cli, contracts, erasure
from sanctuary.contracts import ErasureRequested, PersonErased
from sanctuary.links import address_hash
from sanctuary_dev.messages import signed_up
from sqlalchemy import func, select

ADMIN = {"Authorization": "Bearer test-admin-token"}
SECRET = "test-link-secret"
ADDRESS = "Amal.Haddad@example.org"


@pytest.fixture
def service(make_app: Callable[..., Any]) -> Any:
    return make_app().extensions["service"]


def answers(held: dict[str, Any]) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Subject reads as the services answer them: `held` by service, asked with any body."""
    asked: list[tuple[str, dict[str, Any]]] = []

    def ask(service: str, body: dict[str, Any]) -> dict[str, Any]:
        asked.append((service, body))
        return held.get(service, {"service": service, "records": {}, "ids": {}, "group_ids": []})

    ask.asked = asked  # type: ignore[attr-defined]
    return ask


def test_an_erasure_purges_the_outbox_and_announces_one_fact_without_the_person(
    service: Any,
) -> None:
    volunteer_id = uuid.uuid4()
    with service.unit_of_work() as uow:  # a sign-up accepted, not yet published
        uow.publish(signed_up(volunteer_id=volunteer_id, name="Amal Haddad", email=ADDRESS))
        uow.publish(signed_up(name="Someone Else", email="else@example.org"))
    group = str(uuid.uuid4())
    ask = answers({"matching": {"records": {"volunteers": [{}]}, "ids": {}, "group_ids": [group]}})
    with service.sessions() as session:
        person = privacy.gather(ask, session, SECRET, ADDRESS.upper())
    assert person.ids["volunteer_ids"] == {str(volunteer_id)}
    assert [body["email"] for _, body in ask.asked] == [ADDRESS.lower()] * 3  # type: ignore[attr-defined]
    assert person.may_be_seen_by(frozenset({uuid.UUID(group)}))
    assert not person.may_be_seen_by(frozenset({uuid.uuid4()}))

    with service.unit_of_work() as uow:
        request = privacy.request_erasure(
            uow, person, SECRET, reason="asked by phone", requested_by=None, via="api"
        )
    with service.sessions() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.created_at)).all()
        assert [r.type for r in rows] == ["volunteer.signed_up", "person.erasure_requested"]
        assert "Someone Else" in rows[0].body
        fact = json.loads(rows[1].body)
        matrix = privacy.matrix(session, session.get(PrivacyRequest, request.id))
    assert fact["subject"] == address_hash(SECRET, ADDRESS)
    assert fact["volunteer_ids"] == [str(volunteer_id)]
    assert "amal" not in json.dumps(fact).lower()
    assert matrix["status"] == "pending"
    rows_by_service = {row["service"]: row for row in matrix["services"]}
    assert rows_by_service["gateway"]["status"] == "done"
    assert rows_by_service["gateway"]["counts"] == {"outbox_messages": 1, "data_links": 0}
    assert rows_by_service["gateway"]["kept"]
    assert {rows_by_service[s]["status"] for s in privacy.HOLDERS} == {"pending"}


def test_without_an_email_the_address_is_learnt_from_matching(service: Any) -> None:
    newcomer_id = str(uuid.uuid4())
    record = {"records": {"newcomers": [{"email": ADDRESS}]}, "ids": {}, "group_ids": []}
    ask = answers({"matching": record})
    with service.sessions() as session:
        person = privacy.gather(ask, session, SECRET, None, {"newcomer_ids": [newcomer_id]})
    assert person.email == ADDRESS.lower()
    assert person.ids["newcomer_ids"] == {newcomer_id}


def answer(erasure_id: uuid.UUID, service_name: str) -> PersonErased:
    return PersonErased(
        erasure_id=erasure_id,
        service=service_name,
        counts={"rows": 1},
        kept={},
        erased_at=datetime.now(UTC),
    )


def test_the_request_is_complete_once_every_service_has_answered(service: Any) -> None:
    person = privacy.Person(ADDRESS)
    with service.unit_of_work() as uow:
        request = privacy.request_erasure(
            uow, person, SECRET, reason="r", requested_by=None, via="api"
        )
    for name in privacy.HOLDERS:
        with service.unit_of_work() as uow:
            erasure_answers.on_person_erased(answer(request.id, name), uow)
        with service.sessions() as session:
            status = privacy.matrix(session, session.get(PrivacyRequest, request.id))["status"]
        assert status == ("complete" if name == privacy.HOLDERS[-1] else "pending")
    # An answer to an erasure not recorded (yet): tried again later, parked if it never is.
    with pytest.raises(erasure_answers.ErasureNotYetKnown), service.unit_of_work() as uow:
        erasure_answers.on_person_erased(answer(uuid.uuid4(), "events"), uow)
    with service.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ErasureProgress)) == 4


def test_the_worker_subscribes_to_every_services_answer(service: Any) -> None:
    assert set(service.handlers) == {PersonErased.TYPE, ErasureRequested.TYPE}
    body = contracts.dump(answer(uuid.uuid4(), "matching"))[1]
    assert contracts.load(PersonErased.TYPE, body).service == "matching"


def test_bad_erasure_requests_get_a_clear_answer(make_app: Callable[..., Any]) -> None:
    client = make_app().test_client()
    assert client.post("/api/v1/erasures", json={}).status_code == 401
    nobody = client.post("/api/v1/erasures", json={"reason": "asked"}, headers=ADMIN)
    assert nobody.status_code == 422
    assert "email" in nobody.json["errors"][0]["field"]
    no_reason = client.post("/api/v1/erasures", json={"email": ADDRESS}, headers=ADMIN)
    assert no_reason.status_code == 422
    assert no_reason.json["errors"][0]["field"] == "reason"
    bad = client.post(
        "/api/v1/erasures",
        json={"email": "not an address", "reason": "x", "confirm": "yes"},
        headers=ADMIN,
    )
    assert {e["field"] for e in bad.json["errors"]} == {"email", "confirm"}
    missing = client.get(f"/api/v1/erasures/{uuid.uuid4()}", headers=ADMIN)
    assert missing.status_code == 404
    assert client.post("/api/v1/subject-access", json={}, headers=ADMIN).status_code == 422


def test_an_erasure_a_service_started_is_recorded_and_followed_like_ours(service: Any) -> None:
    """Retention (ADR 0028): matching erases a person and announces the request; the gateway
    records it (via service, with the rule as the reason), erases its own outbox rows about
    them, and fills the matrix; an answer that arrives before the request is tried again."""
    volunteer_id = uuid.uuid4()
    with service.unit_of_work() as uow:
        uow.publish(signed_up(volunteer_id=volunteer_id, name="Amal Haddad", email=ADDRESS))
    request = ErasureRequested(
        erasure_id=uuid.uuid4(),
        volunteer_ids=(volunteer_id,),
        requested_at=datetime.now(UTC),
        confirm=False,
        reason="retention: a volunteer never ready, a year without activity",
    )
    with pytest.raises(erasure_answers.ErasureNotYetKnown), service.unit_of_work() as uow:
        erasure_answers.on_person_erased(answer(request.erasure_id, "matching"), uow)
    for _ in range(2):  # the same fact twice: recorded once
        with service.unit_of_work() as uow:
            erasure_answers.on_erasure_requested(request, uow, secret=SECRET)
    with service.sessions() as session:
        recorded = session.get(PrivacyRequest, request.erasure_id)
        assert (recorded.via, recorded.reason, recorded.group_ids) == (
            "service",
            request.reason,
            [],
        )
        assert recorded.ids == [str(volunteer_id)]
        assert session.scalar(select(func.count()).select_from(Outbox)) == 0
        assert privacy.matrix(session, recorded)["status"] == "pending"
    for name in privacy.HOLDERS:
        with service.unit_of_work() as uow:
            erasure_answers.on_person_erased(answer(request.erasure_id, name), uow)
    with service.sessions() as session:
        done = privacy.matrix(session, session.get(PrivacyRequest, request.erasure_id))
    assert done["status"] == "complete"
    assert done["services"][0]["counts"] == {"outbox_messages": 1}


def test_the_gateways_erasures_since_a_time_are_announced_again(service: Any) -> None:
    """`python -m gateway erasures reapply --since` (after a holder's restore): its log since
    then, the same ids, keys and times, no email; a subject access is not an erasure."""
    person = privacy.Person(ADDRESS)
    person.ids["volunteer_ids"].add(str(uuid.uuid4()))
    before = datetime.now(UTC)
    with service.unit_of_work() as uow:
        asked = privacy.request_erasure(
            uow, person, SECRET, reason="by phone", requested_by=None, via="api"
        )
        privacy.record_access(uow, person, SECRET, reason="post", requested_by=None, via="api")
    since = (before - timedelta(seconds=1)).isoformat()
    assert cli.main(lambda: service, ["erasures", "reapply", "--since", since]) == 0
    with service.sessions() as session:
        facts = [
            contracts.load(row.type, json.loads(row.body))
            for row in session.scalars(select(Outbox))
            if row.type == ErasureRequested.TYPE
        ]
    first, again = facts
    assert again.erasure_id == first.erasure_id == asked.id
    assert (again.subject, again.requested_at) == (first.subject, first.requested_at)
    assert again.ids == first.volunteer_ids
    assert (again.confirm, again.reason) == (False, erasure.REAPPLIED)


def test_a_coordinator_token_is_taken_whatever_the_case_of_its_scheme(service: Any) -> None:
    """RFC 9110: `bearer` is `Bearer`; a wrong token is still refused."""
    from gateway.entrypoints.web import create_app

    client = create_app(service.config).test_client()
    for scheme in ("bearer", "BEARER"):
        answer = client.get(
            "/api/v1/erasures/" + str(uuid.uuid4()),
            headers={"Authorization": f"{scheme} test-admin-token"},
        )
        assert answer.status_code == 404, scheme  # let in: no such erasure
    refused = client.get(
        "/api/v1/erasures/" + str(uuid.uuid4()), headers={"Authorization": "bearer wrong"}
    )
    assert refused.status_code == 401
    client.application.extensions["service"].engine.dispose()
