"""A person's own way to their data (ADR 0026): ask for a link by email (the same answer for
everyone), open it, see what is held in plain words in each language, download it, erase it
all and follow the erasure; the link's checks, and housekeeping.

Real: the gateway app on a migrated SQLite file and its outbox, through the Flask test
client as a browser (CSRF token from the form) or an API client would use it. The services'
subject reads are answered by a stub in place of their internal APIs (their own tests cover
those).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from gateway import bootstrap
from gateway.adapters.models import DataLink, Outbox, PrivacyRequest
from gateway.adapters.upstream import UpstreamUnavailable
from gateway.config import from_env
from gateway.entrypoints.coordinators import privacy_api
from gateway.service_layer import erasure_answers, privacy
from openapi_spec_validator import validate
from sanctuary.config import ConfigError
from sanctuary.contracts import PersonErased
from sanctuary.links import data_link_token, erasure_status_token
from sanctuary_dev.secrets import with_secrets
from sqlalchemy import delete, select

SECRET = "test-link-secret"
HELD = "Amal.Haddad@example.org"
PAGE = {"Accept": "text/html"}
# What the services answer about the held address (nothing about any other).
RECORDS = {
    "matching": {
        "volunteers": [{"name": "Amal Haddad", "email": "amal.haddad@example.org", "status": "x"}],
        "matches": [{"partner": "Oksana", "status": "active"}],
    },
    "events": {"registrations": [{"status": "confirmed", "event": {"title": "Friday social"}}]},
    "notifications": {"deliveries": [{"to_address": "amal.haddad@example.org"}] * 6},
}


@pytest.fixture
def app(make_app: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The gateway, its services' subject reads answered by a stub."""

    def ask(service: str, body: dict[str, Any]) -> dict[str, Any]:
        records = RECORDS[service] if body["email"] == HELD.lower() else {}
        return {"service": service, "records": records, "ids": {}, "group_ids": []}

    monkeypatch.setattr(privacy_api, "ask", ask)
    return make_app(public_rate_limit="")


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


def rows(app: Any, model: type[Any]) -> list[Any]:
    with app.extensions["service"].sessions() as session:
        return list(session.scalars(select(model)))


def facts(app: Any, kind: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in rows(app, Outbox) if r.type == kind]


def csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=PAGE).text)
    assert found, path
    return found.group(1)


def link_for(client: FlaskClient, app: Any, email: str = HELD) -> str:
    """Ask for a link through the API: the token the email would carry."""
    assert client.post("/api/v1/my-data/requests", json={"email": email}).status_code == 202
    mine = [r for r in rows(app, DataLink) if r.email == email.lower()]
    return data_link_token(SECRET, max(mine, key=lambda r: r.created_at).id)


def test_the_same_answer_for_a_held_and_an_unknown_address(client: FlaskClient, app: Any) -> None:
    held = client.post("/api/v1/my-data/requests", json={"email": HELD, "locale": "ar"})
    unknown = client.post("/api/v1/my-data/requests", json={"email": "nobody@example.org"})
    assert held.status_code == unknown.status_code == 202
    assert held.json == unknown.json
    assert held.json["valid_minutes"] == 30
    pages = [
        client.post("/my-data", data={"csrf_token": csrf(client, "/my-data"), "email": e})
        for e in (HELD, "nobody@example.org")
    ]
    assert [p.status_code for p in pages] == [200, 200]
    assert pages[0].text == pages[1].text
    assert "Check your email" in pages[0].text
    # Each asking keeps a row and announces one fact, with the address and nothing more.
    links = rows(app, DataLink)
    assert [link.email for link in links].count(HELD.lower()) == 2
    announced = facts(app, "person.data_link_requested")
    assert len(announced) == len(links) == 4
    first = next(f for f in announced if f["locale"] == "ar")
    assert set(first) == {"link_id", "email", "locale", "expires_at"}
    assert first["email"] == HELD.lower()
    made = next(link for link in links if str(link.id) == first["link_id"])
    assert made.expires_at - made.created_at == timedelta(minutes=30)


def test_a_malformed_address_gets_the_reason(client: FlaskClient, app: Any) -> None:
    api = client.post("/api/v1/my-data/requests", json={"email": "not an address"})
    assert api.status_code == 422
    assert api.mimetype == "application/problem+json"
    assert [e["field"] for e in api.json["errors"]] == ["email"]
    page = client.post("/my-data", data={"csrf_token": csrf(client, "/my-data"), "email": "x@"})
    assert page.status_code == 422
    assert "Not a valid email address." in page.text
    assert 'name="email"' in page.text
    assert rows(app, DataLink) == []


def test_only_a_live_link_we_made_opens(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app)
    other = link_for(client, app, "someone@example.org")
    link_id, _, digest = token.partition(".")
    with app.extensions["service"].sessions.begin() as session:
        session.get(DataLink, uuid.UUID(other.partition(".")[0])).expires_at = datetime.now(UTC)
    forged = (
        f"{link_id}.{'A' * len(digest)}",  # a wrong hmac
        f"{link_id}.{other.partition('.')[2]}",  # another link's hmac
        data_link_token(SECRET, uuid.uuid4()),  # made by us, but for no link
        other,  # expired
        "not-a-token",
    )
    for bad in forged:
        answer = client.get(f"/api/v1/my-data/{bad}")
        assert answer.status_code == 404, bad
        assert "expired or is not valid" in answer.json["detail"]
        page = client.get(f"/my-data/{bad}", headers=PAGE)
        assert page.status_code == 404
        assert "This link has expired or is not valid" in page.text
        assert "Email me a link" in page.text  # the form to ask again
    assert client.get(f"/api/v1/my-data/{token}").status_code == 200


def test_the_page_says_what_is_held_in_plain_words(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app)
    page = client.get(f"/my-data/{token}", headers=PAGE)
    assert page.status_code == 200
    text = page.text.replace("\u2068", "").replace("\u2069", "")
    assert "Your volunteer sign-up: name and email." in text
    assert "Your befriending match with Oksana (active now)." in text
    assert "Friday social (you have a place)" in text
    assert "Emails we sent you: 6." in text
    assert '"matching"' not in text  # words, not raw JSON
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "strict-origin"
    [access] = [r for r in rows(app, PrivacyRequest) if r.kind == "access"]
    assert (access.via, access.reason, access.requested_by) == ("self", "asked by the person", None)


@pytest.mark.parametrize(
    ("language", "direction", "words"),
    [
        ("ar", "rtl", ["بياناتك", "صداقتك ضمن البرنامج مع", "(جارية الآن)", "نعم، احذف كل شيء"]),
        ("uk", "ltr", ["Ваші дані", "Ваша пара з", "(триває зараз)", "Так, видалити все"]),
    ],
)
def test_the_page_in_each_language(
    client: FlaskClient, app: Any, language: str, direction: str, words: list[str]
) -> None:
    token = link_for(client, app)
    page = client.get(f"/my-data/{token}", headers={**PAGE, "Accept-Language": language})
    assert f'<html lang="{language}" dir="{direction}">' in page.text
    for word in words:
        assert word in page.text, word
    assert "Your data" not in page.text


def test_the_download_is_a_json_attachment(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app)
    download = client.get(f"/my-data/{token}/download", headers=PAGE)
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == "attachment; filename=my-data.json"
    body = json.loads(download.data)
    assert body["services"]["matching"]["matches"] == [{"partner": "Oksana", "status": "active"}]
    assert [link["email"] for link in body["services"]["gateway"]["data_links"]] == [HELD.lower()]
    assert set(body) == set(client.get(f"/api/v1/my-data/{token}").json)


def test_erasure_needs_the_box_ticked(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app)
    path = f"/my-data/{token}"
    refused = client.post(f"{path}/erase", data={"csrf_token": csrf(client, path)}, headers=PAGE)
    assert refused.status_code == 422
    assert "Tick the box to say you understand that this cannot be undone." in refused.text
    assert facts(app, "person.erasure_requested") == []
    api = client.post(f"/api/v1/my-data/{token}/erasure", json={"understood": False})
    assert api.status_code == 422
    assert [e["field"] for e in api.json["errors"]] == ["understood"]


def test_the_page_erases_everything_and_follows_it(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app)
    link_for(client, app)  # a second link for the same address dies too
    path = f"/my-data/{token}"
    form = {"csrf_token": csrf(client, path), "understood": "yes"}
    erased = client.post(f"{path}/erase", data=form, headers=PAGE)
    assert erased.status_code == 303
    status_path = erased.headers["Location"]
    [fact] = facts(app, "person.erasure_requested")
    assert fact["confirm"] is True
    assert "amal" not in json.dumps(fact).lower()
    assert (
        status_path
        == f"/my-data/erasures/{erasure_status_token(SECRET, uuid.UUID(fact['erasure_id']))}"
    )
    assert rows(app, DataLink) == []
    [request] = [r for r in rows(app, PrivacyRequest) if r.kind == "erasure"]
    assert (request.via, request.requested_by) == ("self", None)
    assert client.get(path, headers=PAGE).status_code == 404  # the link died with the data

    pending = client.get(status_path, headers=PAGE)
    assert '<meta http-equiv="refresh" content="2">' in pending.text
    assert pending.text.count("still working") == 3
    assert pending.text.count(">done<") == 1
    for service in privacy.HOLDERS:
        answer = PersonErased(
            erasure_id=request.id, service=service, counts={}, erased_at=datetime.now(UTC)
        )
        with app.extensions["service"].unit_of_work() as uow:
            erasure_answers.on_person_erased(answer, uow)
    done = client.get(status_path, headers=PAGE)
    assert "Your data is erased" in done.text
    assert "refresh" not in done.text
    assert done.text.count(">done<") == 4
    assert client.get(f"/my-data/erasures/{token}", headers=PAGE).status_code == 404


def test_the_api_erases_and_shows_the_matrix(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app)
    accepted = client.post(f"/api/v1/my-data/{token}/erasure", json={"understood": True})
    assert accepted.status_code == 202
    assert accepted.json["status"] == "pending"
    status_url = accepted.json["status_url"]
    assert accepted.headers["Location"] == status_url
    assert status_url.startswith(f"/api/v1/my-data/erasures/{accepted.json['id']}.")
    matrix = client.get(status_url).json
    assert matrix["status"] == "pending"
    assert {r["service"]: r["status"] for r in matrix["services"]} == {
        "gateway": "done",
        **dict.fromkeys(privacy.HOLDERS, "pending"),
    }
    assert matrix["services"][0]["counts"] == {"outbox_messages": 1, "data_links": 1}
    again = client.post(f"/api/v1/my-data/{token}/erasure", json={"understood": True})
    assert again.status_code == 404
    assert client.get("/api/v1/my-data/erasures/nothing").status_code == 404


def test_a_service_that_does_not_answer_is_a_503_to_retry(
    client: FlaskClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = link_for(client, app)

    def down(service: str, _body: dict[str, Any]) -> dict[str, Any]:
        raise UpstreamUnavailable(service)

    monkeypatch.setattr(privacy_api, "ask", down)
    api = client.get(f"/api/v1/my-data/{token}")
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert int(api.headers["Retry-After"]) > 0
    page = client.get(f"/my-data/{token}", headers=PAGE)
    assert page.status_code == 503
    assert "Something went wrong on our side" in page.text
    assert int(page.headers["Retry-After"]) > 0


def test_housekeeping_prunes_expired_links(client: FlaskClient, app: Any) -> None:
    link_for(client, app)
    link_for(client, app, "someone@example.org")
    service = app.extensions["service"]
    with service.sessions.begin() as session:
        session.scalars(select(DataLink).where(DataLink.email == HELD.lower())).one().expires_at = (
            datetime.now(UTC) - timedelta(seconds=1)
        )
    bootstrap._housekeeping(service)
    assert [link.email for link in rows(app, DataLink)] == ["someone@example.org"]
    with service.sessions.begin() as session:
        session.execute(delete(DataLink))


def test_asking_is_rate_limited_like_every_public_post(make_app: Callable[..., Any]) -> None:
    client = make_app(public_rate_limit="2/minute").test_client()
    form = {"csrf_token": csrf(client, "/my-data"), "email": "x"}
    statuses = [
        client.post("/api/v1/my-data/requests", json={"email": "x"}).status_code,
        client.post("/my-data", data=form, headers=PAGE).status_code,
        client.post("/api/v1/my-data/requests", json={"email": "x"}).status_code,
    ]
    assert statuses == [422, 422, 429]


def test_every_page_links_to_my_data_in_its_language(client: FlaskClient) -> None:
    for language, words in (
        ("en", "See, correct, download or erase your data"),
        ("uk", "Переглянути"),
    ):
        home = client.get("/", headers={**PAGE, "Accept-Language": language})
        assert f'href="/my-data">{words}' in home.text


def test_the_api_document_describes_the_five_routes(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    validate(document)
    # As the API contract test checks: every route described, and only those.
    routed = {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in client.application.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/my-data")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    described = {
        (method, path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/my-data")
        for method in operations
        if method != "parameters"
    }
    assert routed == described
    paths = document["paths"]
    assert set(paths["/api/v1/my-data/requests"]) - {"parameters"} == {"post"}
    assert set(paths["/api/v1/my-data/{token}"]) - {"parameters"} == {"get", "patch"}
    assert set(paths["/api/v1/my-data/{token}/erasure"]) - {"parameters"} == {"post"}
    assert set(paths["/api/v1/my-data/erasures/{erasure_token}"]) - {"parameters"} == {"get"}
    for operation in (
        paths["/api/v1/my-data/requests"]["post"],
        paths["/api/v1/my-data/{token}/erasure"]["post"],
        paths["/api/v1/my-data/{token}"]["patch"],
    ):
        assert "requestBody" in operation
        assert "security" not in operation
    assert "503" in paths["/api/v1/my-data/{token}"]["get"]["responses"]


def test_the_link_lifetime_from_the_environment() -> None:
    assert from_env(with_secrets({})).my_data_link_minutes == 30
    assert from_env(with_secrets({"MY_DATA_LINK_MINUTES": "45"})).my_data_link_minutes == 45
    with pytest.raises(ConfigError, match="MY_DATA_LINK_MINUTES"):
        from_env(with_secrets({"MY_DATA_LINK_MINUTES": "0"}))
