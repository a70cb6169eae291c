"""The local groups' public pages: every group, one group's page (what it covers, its
contact, its events, the two ways in that carry the group into the forms) and the home
page's finder, a postcode to its group.

Real: the gateway app on a migrated SQLite file, groups made through the JSON API with the
admin token, the forms fetched and sent as a browser would (CSRF token, HTML accepted).
The events service is not running (its address refuses connections), or is a stub that
answers with one event.
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
from gateway.adapters.models import Outbox
from gateway.entrypoints.site import LANGUAGES
from gateway.service_layer import groups
from sqlalchemy import select

ADMIN = {"Authorization": "Bearer test-admin-token"}
BROWSER = {"Accept": "text/html,application/xhtml+xml"}
SHEFFIELD = {
    "slug": "sheffield",
    "name": "Sheffield City of Sanctuary",
    "contact": "hello@sheffield.example",
    "areas": ["S"],
    "description": "Walks, football and tea in Sheffield.",
}
HALLAM = {"slug": "hallam", "name": "Hallam", "contact": "hallam@example.org", "areas": ["S10"]}
VOLUNTEER_FORM = {
    "name": "Amina Haddad",
    "email": "amina@example.org",
    "postcode": "LS6 1AA",
    "availability": ["sat-morning"],
    "max_matches": "1",
    "languages": ["en"],
    "consent": "yes",
    "special_consent": "yes",
}


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    # Nothing listens on the discard port: the events service "does not answer".
    return make_app(public_rate_limit="", events_url="http://127.0.0.1:9", upstream_timeout=1.0)


@pytest.fixture
def client(app: Any) -> FlaskClient:
    for group in (SHEFFIELD, HALLAM):
        made = app.test_client().post("/api/v1/groups", json=group, headers=ADMIN)
        assert made.status_code == 201, made.json
    return app.test_client()


def page(client: FlaskClient, path: str, **headers: str) -> Any:
    return client.get(path, headers={**BROWSER, **headers})


def links(text: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', text)}


class EventsStub:
    """The events service's internal API, answering the list with one event."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.asked: list[dict[str, Any] | None] = []

    def forward(self, method: str, path: str, _correlation_id: str, **kwargs: Any) -> Any:
        assert (method, path) == ("GET", "/internal/v1/events")
        self.asked.append(kwargs.get("params"))
        return type("Answer", (), {"status_code": 200, "json": lambda _self: [self.event]})()


def test_a_groups_page_shows_what_it_is_where_and_the_two_ways_in(client: FlaskClient) -> None:
    answer = page(client, "/groups/sheffield")
    assert answer.status_code == 200
    text = answer.text
    assert f'<h1 dir="auto">{SHEFFIELD["name"]}</h1>' in text
    assert SHEFFIELD["description"] in text
    assert "Postcodes starting with S." in text
    assert 'href="mailto:hello@sheffield.example"' in text
    assert {"/volunteer?group=sheffield", "/befriender?group=sheffield"} <= links(text)
    # The events service is down: the page still answers, and says so.
    assert "The events cannot be shown just now." in text


def test_a_groups_page_lists_its_upcoming_events_linking_to_each(
    app: Any, client: FlaskClient
) -> None:
    starts = datetime.now(UTC) + timedelta(days=3)
    event = {
        "id": str(uuid.uuid4()),
        "title": "Tea and football",
        "kind": "social",
        "status": "published",
        "location": "Hillsborough Park",
        "timezone": "Europe/London",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "places_left": 12,
        "group_id": None,
    }
    stub = EventsStub(event)
    app.extensions["upstreams"]["events"] = stub
    text = page(client, "/groups/sheffield").text
    assert "Tea and football" in text
    assert f"/events/{event['id']}" in links(text)
    sheffield = groups.by_slug(app.extensions["service"].sessions, "sheffield")
    assert sheffield is not None
    assert stub.asked == [{"group_id": str(sheffield.id)}]  # national events and its own


def test_an_unknown_group_is_a_404_page(client: FlaskClient) -> None:
    answer = page(client, "/groups/york")
    assert answer.status_code == 404
    assert "We cannot find this page" in answer.text


def test_every_group_is_listed_with_a_link(client: FlaskClient) -> None:
    answer = page(client, "/groups")
    assert answer.status_code == 200
    assert {"/groups/sheffield", "/groups/hallam"} <= links(answer.text)
    assert "Postcodes starting with S10." in answer.text


@pytest.mark.parametrize("path", ["/volunteer", "/befriender"])
def test_the_forms_carry_the_group_of_the_link(client: FlaskClient, path: str) -> None:
    text = page(client, f"{path}?group=sheffield").text
    assert '<input type="hidden" name="group" value="sheffield">' in text
    assert f"You are joining {SHEFFIELD['name']}." in text
    plain = page(client, path).text
    assert 'name="group"' not in plain
    unknown = page(client, f"{path}?group=york")
    assert unknown.status_code == 200
    assert 'name="group"' not in unknown.text
    assert "You are joining" not in unknown.text


def outbox(app: Any) -> list[dict[str, Any]]:
    with app.extensions["service"].sessions() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.created_at))
        return [{"type": row.type, **json.loads(row.body)} for row in rows]


def test_a_sign_up_from_a_groups_page_lands_in_that_group(app: Any, client: FlaskClient) -> None:
    """The postcode (LS6) is no group's: the hidden field decides."""
    text = page(client, "/volunteer?group=hallam").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found
    form = {**VOLUNTEER_FORM, "csrf_token": found.group(1), "group": "hallam"}
    assert client.post("/volunteer", data=form, headers=BROWSER).status_code == 303
    made = {g["group_id"]: g["slug"] for g in outbox(app) if g["type"] == "group.created"}
    [signed_up] = [m for m in outbox(app) if m["type"] == "volunteer.signed_up"]
    assert made[signed_up["group_id"]] == "hallam"
    # A slug no group has is refused (422) with a sentence, and not carried again.
    form["group"] = "york"
    refused = client.post("/volunteer", data=form, headers=BROWSER)
    assert refused.status_code == 422
    assert "We cannot find this local group." in refused.text
    assert 'name="group"' not in refused.text


@pytest.mark.parametrize(("postcode", "slug"), [("s10 2ab", "hallam"), ("S1 2AB", "sheffield")])
def test_the_finder_goes_to_the_group_whose_area_is_longest(
    client: FlaskClient, postcode: str, slug: str
) -> None:
    assert 'action="/groups/find"' in page(client, "/").text
    answer = page(client, f"/groups/find?postcode={postcode}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/groups/{slug}"


def test_a_postcode_no_group_covers_gets_a_friendly_page(client: FlaskClient) -> None:
    answer = page(client, "/groups/find?postcode=ls6+1aa")
    assert answer.status_code == 200
    assert "There is no local group in LS6 yet" in answer.text
    assert "the network will be in touch" in answer.text
    assert {"/volunteer", "/befriender"} <= links(answer.text)


@pytest.mark.parametrize("postcode", ["nonsense", ""])
def test_a_bad_postcode_shows_the_finder_again_with_the_error(
    client: FlaskClient, postcode: str
) -> None:
    answer = page(client, f"/groups/find?postcode={postcode}")
    assert answer.status_code == 422
    assert "Enter a UK postcode, such as S1 2AB." in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert f'value="{postcode}"' in answer.text
    empty = page(client, "/groups/find")
    assert empty.status_code == 200
    assert 'aria-invalid="true"' not in empty.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/groups", "/groups/sheffield", "/groups/find?postcode=x"])
def test_the_group_pages_in_each_language(client: FlaskClient, path: str, language: str) -> None:
    answer = page(client, path, **{"Accept-Language": language})
    assert answer.status_code in (200, 422)
    assert f'<html lang="{language}" dir="{LANGUAGES[language][1]}">' in answer.text


def test_the_group_pages_are_translated(client: FlaskClient) -> None:
    arabic = page(client, "/groups/sheffield", **{"Accept-Language": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "Postcodes starting with" not in arabic
    assert "The events cannot be shown just now." not in arabic
    ukrainian = page(client, "/volunteer?group=sheffield", **{"Accept-Language": "uk"}).text
    assert "You are joining" not in ukrainian
    assert SHEFFIELD["name"] in ukrainian
    finder = page(client, "/groups/find?postcode=LS6+1AA", **{"Accept-Language": "uk"}).text
    assert "LS6" in finder
    assert "There is no local group" not in finder
