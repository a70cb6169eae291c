"""A person's own changes from their data page (ADR 0027): correct their details, choose the
optional emails, pause and resume; each recorded as their request and announced to every
service as one `person.details_changed` fact carrying only what differs.

Real: the gateway app on a migrated SQLite file and its outbox, through the Flask test
client as a browser (CSRF token from the form) or an API client would use it. The services'
subject reads are answered by a stub in place of their internal APIs (their own tests show
how each applies the fact).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from gateway.adapters.models import DataLink, Outbox, PrivacyRequest
from gateway.entrypoints.coordinators import privacy_api
from sanctuary.links import address_hash, data_link_token
from sqlalchemy import select

SECRET = "test-link-secret"
VOLUNTEER = "amal.haddad@example.org"
ATTENDEE = "sami@example.org"  # holds only a place at an event
PAGE = {"Accept": "text/html"}
VOLUNTEER_ID = str(uuid.uuid4())
REGISTRATION_ID = str(uuid.uuid4())
PROFILE = {
    "id": VOLUNTEER_ID,
    "name": "Amal Haddad",
    "email": VOLUNTEER,
    "postcode": "LS6 1AA",
    "languages": ["ar", "en"],
    "availability": [["sat", "morning"]],
    "status": "ready",
    "paused_at": None,
}


def answers(paused: bool) -> dict[str, dict[str, Any]]:
    """What the services hold: a ready volunteer who stopped check-in emails, and someone
    with only a place at an event."""
    volunteer = {**PROFILE, "paused_at": "2026-12-01T10:00:00+00:00" if paused else None}
    return {
        VOLUNTEER: {
            "matching": {"volunteers": [volunteer]},
            "notifications": {"unsubscribes": [{"category": "checkins"}]},
            "ids": {"volunteer_ids": [VOLUNTEER_ID]},
        },
        ATTENDEE: {
            "events": {"registrations": [{"id": REGISTRATION_ID, "name": "Sami"}]},
            "ids": {"registration_ids": [REGISTRATION_ID]},
        },
    }


@pytest.fixture
def held() -> dict[str, bool]:
    return {"paused": False}


@pytest.fixture
def app(
    make_app: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, held: dict[str, bool]
) -> Any:
    """The gateway, its services' subject reads answered by a stub."""

    def ask(service: str, body: dict[str, Any]) -> dict[str, Any]:
        person = answers(held["paused"]).get(body["email"], {})
        records = person.get(service, {})
        return {"service": service, "records": records, "ids": person.get("ids", {})}

    monkeypatch.setattr(privacy_api, "ask", ask)
    return make_app(public_rate_limit="")


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


def changes(app: Any) -> list[dict[str, Any]]:
    with app.extensions["service"].sessions() as session:
        found = session.scalars(select(Outbox).where(Outbox.type == "person.details_changed"))
        return [json.loads(row.body) for row in found]


def requests(app: Any) -> list[PrivacyRequest]:
    with app.extensions["service"].sessions() as session:
        return list(session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.requested_at)))


def link_for(client: FlaskClient, app: Any, email: str) -> str:
    assert client.post("/api/v1/my-data/requests", json={"email": email}).status_code == 202
    with app.extensions["service"].sessions() as session:
        link = session.scalars(select(DataLink).where(DataLink.email == email)).one()
    return data_link_token(SECRET, link.id)


def form_of(page: str) -> dict[str, list[str]]:
    """The details form's answers as the browser would send them, unchanged."""
    form = page[page.index('id="correct"') :]
    form = form[: form.index("</form>")]
    sent: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or (('type="checkbox"' in tag) and " checked" not in tag):
            continue
        sent.setdefault(name.group(1), []).append(value.group(1) if value else "")
    return sent


def test_the_page_offers_what_is_held_to_be_corrected(client: FlaskClient, app: Any) -> None:
    page = client.get(f"/my-data/{link_for(client, app, VOLUNTEER)}", headers=PAGE).text
    sent = form_of(page)
    assert sent["name"] == ["Amal Haddad"]
    assert sent["postcode"] == ["LS6 1AA"]
    assert sent["languages"] == ["en", "ar"]  # in the page's order
    assert sent["availability"] == ["sat-morning"]
    assert sent["emails"] == ["reminders"]  # check-ins were stopped
    assert "Take a break" in page
    assert ">Pause</button>" in page


def test_only_what_differs_is_announced(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app, VOLUNTEER)
    path = f"/my-data/{token}"
    sent = form_of(client.get(path, headers=PAGE).text)
    same = client.post(f"{path}/details", data=sent, headers=PAGE)
    assert same.status_code == 303
    assert same.headers["Location"].endswith("changed=nothing")
    assert changes(app) == []
    assert "Nothing changed" in client.get(same.headers["Location"], headers=PAGE).text

    sent.update(postcode=["ls7 3hb"], emails=["reminders", "checkins"])
    done = client.post(f"{path}/details", data=sent, headers=PAGE)
    assert done.status_code == 303
    assert "Your changes reach every part" in client.get(done.headers["Location"]).text
    [change] = changes(app)
    assert change["volunteer_ids"] == [VOLUNTEER_ID]
    assert change["subject"] == address_hash(SECRET, VOLUNTEER)
    assert (change["postcode"], change["emails_stopped"]) == ("LS7 3HB", [])
    assert change["name"] is change["languages"] is change["availability"] is None
    assert change["paused"] is None
    [correction] = [r for r in requests(app) if r.kind != "access"]
    assert (correction.kind, correction.via, correction.id) == (
        "correction",
        "self",
        uuid.UUID(change["change_id"]),
    )
    assert correction.subject == change["subject"]


def test_a_wrong_detail_gets_the_reason_beside_it(client: FlaskClient, app: Any) -> None:
    path = f"/my-data/{link_for(client, app, VOLUNTEER)}"
    sent = form_of(client.get(path, headers=PAGE).text)
    sent.update(postcode=["nowhere"], languages=[])
    refused = client.post(f"{path}/details", data=sent, headers=PAGE)
    assert refused.status_code == 422
    assert 'id="postcode-error"' in refused.text
    assert "Not a valid UK postcode." in refused.text
    assert 'id="languages-error"' in refused.text
    assert 'value="nowhere"' in refused.text  # what they typed stays
    assert changes(app) == []


def test_someone_with_only_a_place_corrects_their_name(client: FlaskClient, app: Any) -> None:
    path = f"/my-data/{link_for(client, app, ATTENDEE)}"
    page = client.get(path, headers=PAGE).text
    sent = form_of(page)
    assert set(sent) == {"csrf_token", "name", "emails"}
    assert "Take a break" not in page  # nothing to pause
    sent["name"] = ["Sami Y."]
    assert client.post(f"{path}/details", data=sent, headers=PAGE).status_code == 303
    [change] = changes(app)
    assert (change["name"], change["registration_ids"]) == ("Sami Y.", [REGISTRATION_ID])


def test_pause_and_resume(client: FlaskClient, app: Any, held: dict[str, bool]) -> None:
    path = f"/my-data/{link_for(client, app, VOLUNTEER)}"
    csrf = form_of(client.get(path, headers=PAGE).text)["csrf_token"]
    paused = client.post(f"{path}/pause", data={"csrf_token": csrf, "paused": "yes"})
    assert paused.status_code == 303
    assert "You are paused" in client.get(paused.headers["Location"]).text
    held["paused"] = True  # matching applied it
    page = client.get(path, headers=PAGE).text
    assert ">Resume</button>" in page
    assert "we do not match you with anyone" in page
    client.post(f"{path}/pause", data={"csrf_token": csrf, "paused": "no"})
    assert [c["paused"] for c in changes(app)] == [True, False]
    assert [r.kind for r in requests(app) if r.kind != "access"] == ["restriction"] * 2


def test_the_api_twin(client: FlaskClient, app: Any) -> None:
    token = link_for(client, app, VOLUNTEER)
    body = {"languages": ["ti", "ar"], "availability": [{"day": "mon", "part": "evening"}]}
    body["emails"] = {"reminders": False}
    answer = client.patch(f"/api/v1/my-data/{token}", json=body)
    assert answer.status_code == 202
    assert "within a minute" in answer.json["message"]
    [change] = changes(app)
    assert change["change_id"] == answer.json["id"]
    assert change["languages"] == ["ti", "ar"]
    assert change["availability"] == [{"day": "mon", "part": "evening"}]
    assert change["emails_stopped"] == ["checkins", "reminders"]  # check-ins stay stopped
    for bad, field in (
        ({}, "at least one detail"),
        ({"postcode": "nowhere"}, "postcode"),
        ({"paused": "yes"}, "paused"),
        ({"email": "other@example.org"}, "email"),
        ({"emails": {"newsletters": False}}, "emails"),
    ):
        refused = client.patch(f"/api/v1/my-data/{token}", json=bad)
        assert refused.status_code == 422, bad
        assert field in json.dumps(refused.json["errors"]), bad
    gone = client.patch(f"/api/v1/my-data/{data_link_token(SECRET, uuid.uuid4())}", json=body)
    assert gone.status_code == 404
    assert len(changes(app)) == 1


def test_the_consent_to_use_languages_gender_and_needs_is_withdrawn(
    client: FlaskClient, app: Any
) -> None:
    """ADR 0029: one button; every service is told to remove them; the API twin takes only
    false (giving it again needs the words of a form)."""
    token = link_for(client, app, VOLUNTEER)
    path = f"/my-data/{token}"
    page = client.get(path, headers=PAGE).text
    assert "Your languages, gender and needs" in page
    csrf = form_of(page)["csrf_token"]
    done = client.post(f"{path}/special", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert "We stop using your languages" in client.get(done.headers["Location"]).text
    [change] = changes(app)
    assert (change["special_consent"], change["volunteer_ids"]) == (False, [VOLUNTEER_ID])
    assert (
        client.patch(f"/api/v1/my-data/{token}", json={"special_consent": True}).status_code == 422
    )
    assert (
        client.patch(f"/api/v1/my-data/{token}", json={"special_consent": False}).status_code == 202
    )
    assert [c["special_consent"] for c in changes(app)] == [False, False]
