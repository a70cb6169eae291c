"""Input meant to break the system after it is accepted (issue 16, point 5): text no worker
could ever handle, a body nested thousands deep, a number of thousands of digits. Each gets a
clear 4xx at the edge, never a 500 and never a message that would be parked for good; and
whatever is accepted, generated at random, is a message every consumer can load.

Real: the gateway app on a migrated SQLite file and its outbox, through the Flask test
client as a browser or an API client would use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from gateway.adapters.models import Outbox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sanctuary import contracts
from sanctuary.fields import UNSAFE_TEXT
from sqlalchemy import delete, select

SIGN_UP = {
    "name": "Amal",
    "email": "amal@example.org",
    "postcode": "LS6 1AA",
    "availability": [{"day": "sat", "part": "morning"}],
    "consent": True,
}
REQUEST = {**SIGN_UP, "email": None, "referrer_email": "worker@charity.example"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app(public_rate_limit="")


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


def outbox(app: Any) -> list[Outbox]:
    with app.extensions["service"].sessions() as session:
        return list(session.scalars(select(Outbox)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "\ud800x"),
        ("name", "Amal\x00"),
        ("postcode", "LS6 1AA\x00"),
        ("email", "a\x1b@b.org"),
    ],
)
def test_text_no_worker_could_handle_is_refused_naming_the_field(
    client: FlaskClient, app: Any, field: str, value: str
) -> None:
    answer = client.post(
        "/api/v1/volunteers", data=json.dumps({**SIGN_UP, field: value}), headers=JSON
    )
    assert answer.status_code == 422
    assert answer.json["errors"] == [
        {"field": field, "pointer": f"#/{field}", "detail": UNSAFE_TEXT}
    ]
    assert outbox(app) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"name": ' + "[" * 20_000 + "]" * 20_000 + "}", "nested less deeply"),
        ('{"max_matches": ' + "1" * 5_000 + "}", "at most 4300 digits"),
    ],
)
def test_a_body_python_cannot_read_is_a_400(
    client: FlaskClient, app: Any, body: str, reason: str
) -> None:
    for path in ("/api/v1/volunteers", "/api/v1/newcomers", "/api/v1/my-data/requests"):
        answer = client.post(path, data=body, headers=JSON)
        assert answer.status_code == 400, path
        assert reason in answer.json["detail"]
    assert outbox(app) == []


def test_a_form_with_a_nul_is_answered_on_the_page(client: FlaskClient, app: Any) -> None:
    page = client.get("/volunteer", headers={"Accept": "text/html"}).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    form = {
        "csrf_token": csrf.group(1),
        "name": "Amal\x00",
        "email": "amal@example.org",
        "postcode": "LS6 1AA",
        "availability": "sat-morning",
        "max_matches": "1",
        "consent": "yes",
    }
    answer = client.post("/volunteer", data=form, headers={"Accept": "text/html"})
    assert answer.status_code == 422
    assert UNSAFE_TEXT in answer.text
    assert outbox(app) == []


# Any text at all: controls, surrogates, bidirectional marks, every plane.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/api/v1/volunteers", "/api/v1/newcomers"]),
    field=st.sampled_from(["name", "email", "referrer_email", "postcode", "group", "locale"]),
    text=ANY_TEXT,
)
def test_random_text_is_refused_or_becomes_a_message_every_consumer_loads(
    make_app: Callable[..., Any], path: str, field: str, text: str
) -> None:
    """No 5xx, and nothing accepted that a consumer would park: each accepted body's fact
    loads against its contract, as the consumer loads it."""
    app = _fuzzed_app(make_app)
    body = dict(SIGN_UP if path.endswith("volunteers") else REQUEST)
    if path.endswith("volunteers") and field == "referrer_email":
        field = "name"
    body[field] = text
    answer = app.test_client().post(path, data=json.dumps(body), headers=JSON)
    assert answer.status_code in (202, 400, 422), (answer.status_code, answer.text)
    for row in outbox(app):
        contracts.load(row.type, json.loads(row.body))  # raises if a consumer would park it
    with app.extensions["service"].sessions.begin() as session:
        session.execute(delete(Outbox))


EVENT = "3f0e8f1e-0000-4000-8000-0000000000e1"
REGISTRATION = {"name": "Amal", "email": "amal@example.org", "consent": True}
# Every other public JSON body, with the fields a caller fills in: a registration for a
# place (the gateway takes it even while the events service is away), and asking for the
# link to one's own data. (The /my-data changes load through the same RequestSchema and
# SafeText fields, behind a link that only the person's email holds.)
BODIES = {
    f"/api/v1/events/{EVENT}/registrations": (
        REGISTRATION,
        ["name", "email", "group", "postcode", "locale", "volunteer_id"],
    ),
    "/api/v1/my-data/requests": ({"email": "amal@example.org"}, ["email", "locale"]),
}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(sorted(BODIES)), data=st.data(), text=ANY_TEXT)
def test_random_text_in_the_other_public_bodies_never_fails_or_plants_a_poison_message(
    make_app: Callable[..., Any], path: str, data: st.DataObject, text: str
) -> None:
    """The same for a registration and a /my-data link request: a 202 or a clear 4xx, and
    every accepted fact loads as its consumer loads it."""
    app = _fuzzed_app(make_app)
    valid, fillable = BODIES[path]
    body = {**valid, data.draw(st.sampled_from(fillable), label="field"): text}
    answer = app.test_client().post(path, data=json.dumps(body), headers=JSON)
    assert answer.status_code in (202, 400, 422), (answer.status_code, answer.text)
    for row in outbox(app):
        contracts.load(row.type, json.loads(row.body))
    with app.extensions["service"].sessions.begin() as session:
        session.execute(delete(Outbox))


_APPS: dict[int, Any] = {}


def _fuzzed_app(make_app: Callable[..., Any]) -> Any:
    """One app for all of hypothesis's examples of a test (a fresh one each is slow)."""
    key = id(make_app)
    if key not in _APPS:
        _APPS.clear()
        _APPS[key] = make_app(public_rate_limit="")
    return _APPS[key]
