"""The gateway's public API on its own: validation, idempotency, and what it records.

Real: the Flask app and its SQLite database (as `make run` uses). No broker is needed: the
gateway only writes its outbox; the relay tests publish it. Matching is unreachable here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from gateway.adapters.models import Outbox
from gateway.config import GatewayConfig
from gateway.entrypoints.web import create_app
from sanctuary import references
from sanctuary.migrations import upgrade
from sqlalchemy import select

VALID = {
    "name": "Amina",
    "email": "amina@example.org",
    "postcode": "ls6 1aa",
    "languages": ["en", "ar"],
    "availability": [{"day": "sat", "part": "morning"}],
    "consent": True,
    "special_consent": True,
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    """The gateway on a migrated SQLite file; matching's URL leads nowhere."""
    config = GatewayConfig(
        service="gateway",
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        matching_url="http://127.0.0.1:1",
        upstream_timeout=0.5,
    )
    app = create_app(config)
    service = app.extensions["service"]
    upgrade(service.migrations, config.database_url, service.metadata)
    yield app
    service.engine.dispose()


@pytest.fixture
def client(app: Any) -> FlaskClient:
    """A test client of the gateway app."""
    return app.test_client()


def outbox(app: Any) -> list[Outbox]:
    with app.extensions["service"].sessions() as session:
        return list(session.scalars(select(Outbox)))


def post(client: FlaskClient, body: Any = None, **kwargs: Any) -> Any:
    return client.post("/api/v1/volunteers", json=VALID if body is None else body, **kwargs)


def test_a_valid_sign_up_is_accepted_with_where_to_follow_it(client: FlaskClient, app: Any) -> None:
    """202, the id, the status URL in the body and in Location; one outbox message."""
    answer = post(client)
    assert answer.status_code == 202
    assert answer.headers["Location"] == answer.json["status_url"]
    assert answer.json["status_url"] == f"/api/v1/volunteers/{answer.json['id']}"
    assert answer.json["reference"] == references.of(uuid.UUID(answer.json["id"]))
    [row] = outbox(app)
    assert row.type == "volunteer.signed_up"
    body = json.loads(row.body)
    assert body["volunteer_id"] == answer.json["id"]
    assert body["postcode"] == "LS6 1AA"
    assert row.correlation_id == answer.headers["X-Correlation-ID"]


def problem_fields(answer: Any) -> dict[str, str]:
    assert answer.headers["Content-Type"] == "application/problem+json"
    return {e["field"]: e["detail"] for e in answer.json["errors"]}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"name": None}, "name", "Field may not be null."),
        ({"email": "amina-at-example"}, "email", "Not a valid email address."),
        ({"email": "a" * 250 + "@example.org"}, "email", "Longer than maximum length 254."),
        ({"consent": False}, "consent", "Consent must be given (true) to sign up."),
        ({"consent": "true"}, "consent", "Not a valid boolean."),
        (
            {"languages": [f"l{c}" for c in "abcdefghijklmnopqrstu"]},
            "languages",
            "Length must be between 0 and 20.",
        ),
        (
            {"special_consent": False},
            "languages",
            "We can use this only with your consent to use it for matching (special_consent).",
        ),
        ({"languages": "en"}, "languages", "Not a valid list."),
        ({"postcode": "nowhere"}, "postcode", "Not a valid UK postcode."),
        ({"name": "x" * 101}, "name", "Length must be between 1 and 100."),
        ({"name": 42}, "name", "Not a valid string."),
        ({"nationality": "x"}, "nationality", "Unknown field."),
        ({"availability": []}, "availability", "Length must be between 1 and 21."),
        (
            {"availability": [{"day": "someday", "part": "morning"}]},
            "availability.0.day",
            "Must be one of: mon, tue, wed, thu, fri, sat, sun.",
        ),
        (
            {"max_matches": 4},
            "max_matches",
            "Must be greater than or equal to 1 and less than or equal to 3.",
        ),
        ({"max_matches": "2"}, "max_matches", "Not a valid integer."),
        ({"gender": "unknown"}, "gender", "Must be one of: female, male, non_binary."),
        ({"interests": ["Football!"]}, "interests.0", "Tags are lower-case words joined by _."),
    ],
)
def test_a_bad_field_is_named_with_its_reason(
    client: FlaskClient, app: Any, change: dict[str, Any], field: str, reason: str
) -> None:
    """422 problem+json naming the field; nothing recorded, nothing published."""
    answer = post(client, {**VALID, **change})
    assert answer.status_code == 422
    assert problem_fields(answer)[field] == reason
    assert outbox(app) == []


def test_missing_fields_are_all_named_at_once(client: FlaskClient) -> None:
    """A person fixes every mistake in one go."""
    answer = post(client, {})
    assert answer.status_code == 422
    assert set(problem_fields(answer)) == {
        "name",
        "email",
        "postcode",
        "availability",
        "consent",
    }


def test_a_body_that_is_not_json_gets_400(client: FlaskClient) -> None:
    """Broken JSON is a bad request, explained."""
    answer = client.post("/api/v1/volunteers", data="{", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json["detail"] == "The body must be JSON."


def test_a_body_that_is_not_an_object_gets_422(client: FlaskClient) -> None:
    """A JSON list is valid JSON but not a sign-up."""
    assert post(client, [VALID]).status_code == 422


def test_a_form_post_gets_415(client: FlaskClient) -> None:
    """The API speaks JSON and says so."""
    answer = client.post("/api/v1/volunteers", data={"name": "Amina"})
    assert answer.status_code == 415
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_body_over_64_kib_gets_413(client: FlaskClient, app: Any) -> None:
    """Big bodies are refused before they are parsed."""
    answer = client.post(
        "/api/v1/volunteers", data=" " * (64 * 1024 + 1), content_type="application/json"
    )
    assert answer.status_code == 413
    assert outbox(app) == []


def test_the_same_idempotency_key_returns_the_first_answer_and_publishes_once(
    client: FlaskClient, app: Any
) -> None:
    """A retry after a lost answer does not sign the person up twice."""
    first = post(client, headers={"Idempotency-Key": "abc"})
    again = post(client, headers={"Idempotency-Key": "abc"})
    assert (again.status_code, again.json) == (202, first.json)
    assert len(outbox(app)) == 1


def test_a_reused_idempotency_key_with_another_body_gets_422(client: FlaskClient) -> None:
    """A key stands for one request; reusing it for another is a client bug, said plainly."""
    post(client, headers={"Idempotency-Key": "abc"})
    answer = post(client, {**VALID, "name": "Bo"}, headers={"Idempotency-Key": "abc"})
    assert answer.status_code == 422
    assert answer.json["title"] == "Idempotency-Key reused"


def test_an_overlong_idempotency_key_gets_400(client: FlaskClient) -> None:
    """Keys are at most 200 characters."""
    assert post(client, headers={"Idempotency-Key": "k" * 201}).status_code == 400


def test_different_keys_are_different_sign_ups(client: FlaskClient, app: Any) -> None:
    """Two people on one phone are two sign-ups."""
    post(client, headers={"Idempotency-Key": "a"})
    post(client, headers={"Idempotency-Key": "b"})
    assert len(outbox(app)) == 2


def test_the_status_of_an_unknown_id_is_404(client: FlaskClient) -> None:
    """No hint whether anyone else exists."""
    answer = client.get("/api/v1/volunteers/3f0e8f1e-0000-4000-8000-000000000000")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_the_status_while_matching_is_down_is_503_not_a_guess(client: FlaskClient) -> None:
    """An honest 'try again' rather than a stale or invented status."""
    accepted = post(client)
    answer = client.get(accepted.json["status_url"])
    assert answer.status_code == 503


def test_an_unknown_path_and_a_wrong_method_answer_problems(client: FlaskClient) -> None:
    """Even routing errors use the one error format."""
    assert client.get("/api/v1/nothing").headers["Content-Type"] == "application/problem+json"
    wrong = client.delete("/api/v1/volunteers")
    assert wrong.status_code == 405
    assert wrong.headers["Content-Type"] == "application/problem+json"


def test_the_openapi_document_describes_the_sign_up(client: FlaskClient) -> None:
    """Served by the gateway, with the request schema and the 202."""
    document = client.get("/api/openapi.json").json
    operation = document["paths"]["/api/v1/volunteers"]["post"]
    assert "202" in operation["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


NEWCOMER = {
    "name": "Yonas",
    "referrer_email": "caseworker@refugee-charity.example",
    "postcode": "LS7 2AB",
    "languages": ["ti", "ar"],
    "wants_english_practice": True,
    "needs": ["english_practice", "social"],
    "interests": ["football"],
    "availability": [{"day": "wed", "part": "evening"}],
    "gender": "male",
    "same_gender_only": True,
    "needs_dbs": False,
    "consent": True,
    "special_consent": True,
}


def test_a_referred_newcomer_request_is_accepted_and_published(
    client: FlaskClient, app: Any
) -> None:
    """A support worker's email is enough; the request goes out as newcomer.requested."""
    answer = client.post("/api/v1/newcomers", json=NEWCOMER)
    assert answer.status_code == 202
    assert answer.json["status_url"] == f"/api/v1/newcomers/{answer.json['id']}"
    [row] = outbox(app)
    assert row.type == "newcomer.requested"
    body = json.loads(row.body)
    assert body["newcomer_id"] == answer.json["id"]
    assert body["availability"] == [{"day": "wed", "part": "evening"}]
    assert "consent" not in body


def test_a_newcomer_request_needs_a_way_to_reach_them(client: FlaskClient, app: Any) -> None:
    """No email, phone or referrer's email: 422 on email, nothing recorded."""
    answer = client.post("/api/v1/newcomers", json={**NEWCOMER, "referrer_email": None})
    assert answer.status_code == 422
    assert problem_fields(answer)["email"] == (
        "Give an email, a phone number or a referrer_email (at least one)."
    )
    assert outbox(app) == []


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0113 496 0123", "+441134960123"),  # the UK way
        ("+44 (0)113 496-0123", "+441134960123"),
        ("0044 113 496 0123", "+441134960123"),
        ("+33 6 12 34 56 78", "+33612345678"),  # from abroad, with its country code
        ("٠١١٣ ٤٩٦ ٠١٢٣", "+441134960123"),  # Arabic-Indic digits
        ("۰۱۱۳ ۴۹۶ ۰۱۲۳", "+441134960123"),  # Persian digits
    ],
)
def test_a_phone_is_enough_and_travels_as_e164(
    client: FlaskClient, app: Any, typed: str, e164: str
) -> None:
    body = {**NEWCOMER, "referrer_email": None, "phone": typed}
    answer = client.post("/api/v1/newcomers", json=body)
    assert answer.status_code == 202, answer.json
    [row] = outbox(app)
    sent = json.loads(row.body)
    assert (sent["phone"], sent["email"], sent["referrer_email"]) == (e164, None, None)


@pytest.mark.parametrize("typed", ["0113 496", "07700 900123", "+44", "call me", "1" * 40, 7700])
def test_a_phone_we_cannot_call_is_refused(client: FlaskClient, app: Any, typed: Any) -> None:
    """Too short, a range never given to anyone, no digits, too long, not a string: 422."""
    answer = client.post("/api/v1/newcomers", json={**NEWCOMER, "phone": typed})
    assert answer.status_code == 422
    assert "phone" in problem_fields(answer)
    assert outbox(app) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"wants_english_practice": "yes"}, "wants_english_practice"),
        ({"needs_dbs": 1}, "needs_dbs"),
        ({"consent": False}, "consent"),
        ({"case_reference": "HO-123"}, "case_reference"),
    ],
)
def test_a_bad_newcomer_field_is_named(
    client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    """Strict booleans, consent, and no room for data we must not collect."""
    answer = client.post("/api/v1/newcomers", json={**NEWCOMER, **change})
    assert answer.status_code == 422
    assert field in problem_fields(answer)


def test_the_status_of_an_unknown_newcomer_is_404(client: FlaskClient) -> None:
    """As for volunteers."""
    answer = client.get("/api/v1/newcomers/3f0e8f1e-0000-4000-8000-000000000000")
    assert answer.status_code == 404


def test_readiness_needs_the_database_and_only_reports_the_broker(tmp_path: Path) -> None:
    """A web process writes to its outbox, so it stays ready while the broker is away."""
    config = GatewayConfig(
        service="gateway",
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        amqp_url="amqp://guest:guest@127.0.0.1:1/",
    )
    app = create_app(config)
    ready = app.test_client().get("/readyz")
    assert (ready.status_code, ready.json) == (200, {"status": "ready", "broker": "unreachable"})
    app.extensions["service"].engine.dispose()


def test_a_reference_finds_what_it_was_given_to(client: FlaskClient) -> None:
    """Every 202 carries a reference; GET /api/v1/references/<it> says what it is and where
    its status is, however it was typed; 404 for none."""
    accepted = post(client).json
    again = client.get(f"/api/v1/references/{accepted['reference'].lower().replace('-', '')}")
    assert again.status_code == 200
    assert again.json == {
        "kind": "volunteer",
        "id": accepted["id"],
        "status_url": accepted["status_url"],
    }
    assert client.get("/api/v1/references/ZZZZ-ZZZZ").status_code == 404
    assert client.get("/api/v1/references/nonsense").status_code == 404


def test_two_records_sharing_a_reference_are_not_confused(client: FlaskClient, app: Any) -> None:
    """One pair in a million shares its first 40 bits: the lookup says so (409) rather than
    showing one of them."""
    from gateway.adapters.models import Submission

    first = uuid.UUID(post(client).json["id"])
    twin = uuid.UUID(int=first.int ^ 1)  # the same first 40 bits
    with app.extensions["service"].unit_of_work() as uow:
        uow.session.add(Submission(id=twin, kind="newcomer", accepted_at=datetime.now(UTC)))
    answer = client.get(f"/api/v1/references/{references.of(first)}")
    assert answer.status_code == 409
    assert answer.headers["Content-Type"] == "application/problem+json"
