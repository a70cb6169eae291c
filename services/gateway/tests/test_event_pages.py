"""The events pages: upcoming events, an event with its registration form, the status page
and the cancel page, in every language.

Real: the gateway app (Flask test client) on a migrated SQLite file, and the events
service's own internal API served on a real port (a thread per request) on its own SQLite
file. A registration the page records is decided by the events service's own code
(`registrations.decide`) from the message in the gateway's outbox, in place of the broker.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from events.adapters.models import Registration
from events.entrypoints.web import create_app as create_events
from events.service_layer import registrations
from flask import session
from flask.testing import FlaskClient
from flask_babel import gettext
from flask_wtf.csrf import generate_csrf
from gateway.adapters.models import Outbox
from markupsafe import escape
from sanctuary import contracts, references
from sanctuary.config import ServiceConfig
from sanctuary.links import cancel_token
from sanctuary.migrations import upgrade
from sanctuary_dev.processes import serving
from sqlalchemy import select

TOKEN = "s3cret"
SECRET = "test-events-link-secret"
SERVICE = {"Authorization": f"Bearer {TOKEN}"}
# A Saturday in summer: 09:00 to 10:00 UTC is 10:00 to 11:00 in London (BST).
STARTS, ENDS = "2030-07-06T09:00:00+00:00", "2030-07-06T10:00:00+00:00"


@dataclass
class Events:
    """The events service: its app (to schedule through its API) and its sessions."""

    app: Any
    url: str

    def schedule(self, **changes: Any) -> dict[str, Any]:
        body = {
            "title": "Picnic in the park",
            "kind": "social",
            "starts_at": STARTS,
            "ends_at": ENDS,
            "capacity": 2,
            "location": "Hyde Park, Leeds",
            **changes,
        }
        answer = self.app.test_client().post("/internal/v1/events", headers=SERVICE, json=body)
        assert answer.status_code == 201, answer.json
        return dict(answer.json)

    def decide_waiting(self, gateway: Any) -> None:
        """Take every registration request in the gateway's outbox in, as the worker would."""
        with gateway.extensions["service"].sessions.begin() as session:
            rows = session.scalars(
                select(Outbox)
                .where(Outbox.type == "registration.requested")
                .order_by(Outbox.created_at)
            ).all()
            requests = [contracts.load(r.type, json.loads(r.body)) for r in rows]
        with self.app.extensions["service"].unit_of_work() as uow:
            for request in requests:
                registrations.decide(uow, request)

    def registration(self, registration_id: str) -> Registration:
        with self.app.extensions["service"].sessions() as session:
            found = session.get(Registration, uuid.UUID(registration_id))
            assert found is not None
            return found


@pytest.fixture
def events(tmp_path: Path) -> Iterator[Events]:
    """The events internal API on a real port, on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    config = ServiceConfig(
        service="events", database_url=url, internal_token=TOKEN, link_secret=SECRET
    )
    app = create_events(config)
    service = app.extensions["service"]
    upgrade(service.migrations, url, service.metadata)
    with serving(app) as base:
        yield Events(app, base)


@pytest.fixture
def make_gateway(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """The gateway on a migrated SQLite file, routing to `events_url`."""

    def make(events_url: str) -> Any:
        return make_app(
            events_url=events_url,
            internal_token=TOKEN,
            link_secret=SECRET,
            upstream_timeout=2,
            public_rate_limit="",
            cookie_secure=False,
        )

    return make


@pytest.fixture
def gateway(make_gateway: Callable[..., Any], events: Events) -> Any:
    return make_gateway(events.url)


@pytest.fixture
def client(gateway: Any) -> FlaskClient:
    return gateway.test_client()


def page(client: FlaskClient, path: str, language: str = "en") -> Any:
    return client.get(path, headers={"Accept": "text/html", "Accept-Language": language})


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form has no CSRF token"
    return found.group(1)


def register(client: FlaskClient, event_id: str, language: str = "en", **answers: str) -> Any:
    """Open the event page, fill the form in and send it, as a browser would."""
    shown = page(client, f"/events/{event_id}", language)
    assert shown.status_code == 200
    form = {"csrf_token": csrf_token(shown.text), **answers}
    return client.post(
        f"/events/{event_id}",
        data=form,
        headers={"Accept": "text/html", "Accept-Language": language},
    )


def registered(client: FlaskClient, event_id: str, email: str, **more: str) -> str:
    answer = register(client, event_id, name="Amina", email=email, consent="yes", **more)
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/registrations/([0-9a-f-]{36})", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return found.group(1)


def tr(gateway: Any, language: str, message: str, **values: Any) -> str:
    """`message` as the catalogue of `language` has it, escaped as a page shows it; never
    the English source in another language (an untranslated page would pass otherwise)."""
    with gateway.test_request_context(headers={"Accept-Language": language}):
        text = gettext(message, **values)
    if language != "en":
        assert text != message % values if values else text != message, (language, message)
    return str(escape(text))


def requested(gateway: Any) -> list[Any]:
    with gateway.extensions["service"].sessions() as session:
        rows = session.scalars(select(Outbox).where(Outbox.type == "registration.requested"))
        return [contracts.load(r.type, json.loads(r.body)) for r in rows]


# Each language: its html element, and words of the date as Babel writes them.
LANGUAGES = {
    "en": ('<html lang="en" dir="ltr">', ["Saturday, 6 July 2030", "10:00", "11:00", "London"]),
    "ar": ('<html lang="ar" dir="rtl">', ["السبت", "يوليو", "لندن"]),
    "uk": ('<html lang="uk" dir="ltr">', ["субота", "липня 2030", "10:00", "11:00", "Лондон"]),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_upcoming_events_in_each_language(
    client: FlaskClient, gateway: Any, events: Events, language: str
) -> None:
    events.schedule(title="Picnic in the park")
    full = events.schedule(title="English conversation club", capacity=1)
    events.schedule(
        title="Safeguarding for befrienders",
        kind="webinar",
        location=None,
        online_url="https://meet.example/secret-room",
    )
    registered(client, full["id"], "first@example.org")
    events.decide_waiting(gateway)

    shown = page(client, "/events", language)
    assert shown.status_code == 200
    html, date = LANGUAGES[language]
    assert html in shown.text
    words = [
        tr(gateway, language, "Events"),
        tr(gateway, language, "Places left: %(count)s", count=2),
        tr(gateway, language, "Full: you can join the waiting list"),
        tr(gateway, language, "Online. We email you the link."),
        tr(gateway, language, "%(city)s time", city=date[-1]),
    ]
    for text in [*words, *date]:
        assert text in shown.text, text
    assert "09:00" not in shown.text  # the event's own time zone, never UTC
    for title in (
        "Picnic in the park",
        "English conversation club",
        "Safeguarding for befrienders",
    ):
        assert title in shown.text
    assert "Hyde Park, Leeds" in shown.text
    assert "meet.example" not in shown.text  # the webinar's link goes only to those with a place
    assert f'href="/events/{full["id"]}"' in shown.text


def test_no_events_says_so(client: FlaskClient) -> None:
    shown = page(client, "/events")
    assert shown.status_code == 200
    assert "There are no events planned right now" in shown.text


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_event_page_has_a_labelled_form(
    client: FlaskClient, gateway: Any, events: Events, language: str
) -> None:
    event = events.schedule(description="Bring something to share.")
    shown = page(client, f"/events/{event['id']}", language)
    assert shown.status_code == 200
    assert LANGUAGES[language][0] in shown.text
    assert "Bring something to share." in shown.text
    for field in ("name", "email", "consent"):
        assert f'<label for="{field}"' in shown.text or f'for="{field}"' in shown.text
        assert f'id="{field}" name="{field}"' in shown.text
    assert 'type="email"' in shown.text
    assert 'name="csrf_token"' in shown.text
    for label in ("Name", "Email address", "Ask for a place", "All events"):
        assert tr(gateway, language, label) in shown.text, label


ARABIC = {"title": "نزهة في الحديقة", "description": "أحضر شيئًا لنتشاركه."}


def test_an_event_reads_in_the_readers_language_where_it_was_given(
    client: FlaskClient, events: Events
) -> None:
    """Arabic readers see the Arabic title and description, marked as Arabic; Ukrainian
    readers, given none, see the English, marked as English for their screen reader."""
    event = events.schedule(description="Bring something to share.", translations={"ar": ARABIC})
    assert event["translations"] == {"ar": ARABIC}
    arabic = page(client, f"/events/{event['id']}", "ar").text
    assert f'<h1 lang="ar">{ARABIC["title"]}</h1>' in arabic
    assert f'lang="ar">{ARABIC["description"]}</p>' in arabic
    assert "Picnic in the park" not in arabic
    assert f'lang="ar">{ARABIC["title"]}</a>' in page(client, "/events", "ar").text
    ukrainian = page(client, f"/events/{event['id']}", "uk").text
    assert '<h1 lang="en">Picnic in the park</h1>' in ukrainian
    english = page(client, f"/events/{event['id']}", "en").text
    assert '<h1 lang="en">Picnic in the park</h1>' in english


@pytest.mark.parametrize(
    ("translations", "field"),
    [
        ({"fr": {"title": "Pique-nique"}}, "translations.fr.key"),  # not a page's language
        ({"ar": {"description": "بلا عنوان"}}, "translations.ar.value.title"),  # needed
        ({"ar": {"title": "x" * 201}}, "translations.ar.value.title"),
    ],
)
def test_a_translation_the_pages_cannot_use_is_refused(
    events: Events, translations: dict[str, Any], field: str
) -> None:
    body = {
        "title": "Picnic",
        "kind": "social",
        "starts_at": STARTS,
        "ends_at": ENDS,
        "capacity": 2,
        "location": "Leeds",
        "translations": translations,
    }
    answer = events.app.test_client().post("/internal/v1/events", headers=SERVICE, json=body)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json["errors"]] == [field]


def test_an_unknown_event_is_not_found(client: FlaskClient) -> None:
    shown = page(client, f"/events/{uuid.uuid4()}")
    assert shown.status_code == 404
    assert "We cannot find this page" in shown.text


ERRORS = ("There is a problem", "Missing data for required field.", "Not a valid email address.")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_wrong_answers_come_back_next_to_their_fields(
    client: FlaskClient, gateway: Any, events: Events, language: str
) -> None:
    event = events.schedule()
    answer = register(client, event["id"], language, name="", email="not-an-email")
    assert answer.status_code == 422
    assert LANGUAGES[language][0] in answer.text
    for message in ERRORS:
        assert tr(gateway, language, message) in answer.text, message
    assert 'id="email-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert 'value="not-an-email"' in answer.text  # what was typed is kept
    assert requested(gateway) == []


def test_a_form_without_its_csrf_token_is_refused(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    event = events.schedule()
    answer = client.post(
        f"/events/{event['id']}",
        data={"name": "Amina", "email": "amina@example.org", "consent": "yes"},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 400
    assert "Your form has expired" in answer.text
    assert requested(gateway) == []


def test_a_registration_is_recorded_once_then_followed_to_its_place(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    event = events.schedule()
    volunteer = str(uuid.uuid4())
    shown = page(client, f"/events/{event['id']}?volunteer_id={volunteer}", "ar")
    assert f'name="volunteer_id" value="{volunteer}"' in shown.text
    answer = client.post(
        f"/events/{event['id']}",
        data={
            "csrf_token": csrf_token(shown.text),
            "name": "Amina",
            "email": "Amina@Example.org",
            "consent": "yes",
            "volunteer_id": volunteer,
        },
        headers={"Accept": "text/html", "Accept-Language": "ar"},
    )
    assert answer.status_code == 303
    registration_id = answer.headers["Location"].rsplit("/", 1)[1]
    [fact] = requested(gateway)
    assert str(fact.registration_id) == registration_id
    assert str(fact.event_id) == event["id"]
    assert str(fact.volunteer_id) == volunteer
    assert fact.locale == "ar"  # emails follow the page's language

    received = page(client, answer.headers["Location"])
    assert received.status_code == 200
    assert "We have your request" in received.text
    assert received.headers["Refresh"] == "3"  # looks again by itself, with no script

    events.decide_waiting(gateway)
    confirmed = page(client, answer.headers["Location"], "uk")
    assert "Refresh" not in confirmed.headers
    assert tr(gateway, "uk", "You have a place") in confirmed.text
    assert "Picnic in the park" in confirmed.text


def test_a_form_sent_twice_is_one_registration(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    event = events.schedule()
    shown = page(client, f"/events/{event['id']}")
    key = re.search(r'name="form_key" value="([0-9a-f-]{36})"', shown.text)
    assert key, "the form has no key"
    form = {
        "csrf_token": csrf_token(shown.text),
        "form_key": key.group(1),
        "name": "Amina",
        "email": "amina@example.org",
        "consent": "yes",
    }
    first, second = (client.post(f"/events/{event['id']}", data=form) for _ in range(2))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(requested(gateway)) == 1
    # Back to the form, another answer, sent again: a registration of its own.
    third = client.post(f"/events/{event['id']}", data={**form, "email": "yusuf@example.org"})
    assert third.headers["Location"] != first.headers["Location"]
    assert len(requested(gateway)) == 2


def test_a_full_event_puts_people_on_the_waiting_list_with_their_number(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    event = events.schedule(capacity=1)
    registered(client, event["id"], "first@example.org")
    second = registered(client, event["id"], "second@example.org")
    third = registered(client, event["id"], "third@example.org")
    events.decide_waiting(gateway)
    shown = page(client, f"/events/{event['id']}")
    assert "This event is full" in shown.text
    assert "Join the waiting list" in shown.text
    for registration_id, position in ((second, "1"), (third, "2")):
        status = page(client, f"/registrations/{registration_id}")
        assert "You are on the waiting list" in status.text
        assert f'<strong class="position">{position}</strong>' in status.text


def test_a_second_registration_with_one_email_reads_like_the_first_did(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    """Whoever asks again with an address that has a place sees the page a new request
    gets, in their language: nothing that tells the address is known (ADR 31)."""
    event = events.schedule()
    first = registered(client, event["id"], "amina@example.org")
    again = registered(client, event["id"], "AMINA@example.org")
    events.decide_waiting(gateway)
    shown = [page(client, f"/registrations/{r}", "ar").text for r in (first, again)]
    ours = {n: references.of(uuid.UUID(n)) for n in (first, again)}  # each its own reference
    assert shown[0].replace(first, again).replace(ours[first], ours[again]) == shown[1]
    assert tr(gateway, "ar", "We could not give you a place") not in shown[1]


def test_the_status_of_an_unknown_registration_is_not_found(client: FlaskClient) -> None:
    assert page(client, f"/registrations/{uuid.uuid4()}").status_code == 404


def test_the_cancel_link_shows_the_place_and_only_the_button_cancels(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    event = events.schedule(capacity=1)
    first = registered(client, event["id"], "first@example.org")
    waiting = registered(client, event["id"], "second@example.org")
    events.decide_waiting(gateway)
    link = f"/registrations/{first}/cancel?token={cancel_token(SECRET, uuid.UUID(first))}"

    for _ in range(2):  # a mail scanner following the link twice cancels nothing
        shown = page(client, link)
        assert shown.status_code == 200
        assert "Cancel your place?" in shown.text
        assert "Picnic in the park" in shown.text
    assert events.registration(first).status == "confirmed"

    answer = client.post(
        urlsplit(link).path,
        data={"csrf_token": csrf_token(shown.text), "token": link.split("token=")[1]},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/registrations/{first}"
    assert events.registration(first).status == "cancelled"
    assert events.registration(waiting).status == "confirmed"  # the place went to the queue
    assert "Your place is cancelled" in page(client, answer.headers["Location"]).text
    again = page(client, link, "uk")
    assert tr(gateway, "uk", "Your place is already cancelled") in again.text
    assert "csrf_token" not in again.text  # no button: nothing left to cancel


def test_the_cancel_token_never_leaves_in_a_referer_and_https_still_cancels(
    make_gateway: Callable[..., Any], events: Events
) -> None:
    """Over HTTPS, Flask-WTF wants a same-origin Referer on a POST: the cancel page sends
    the origin only (no token in it), and that is enough."""
    gateway = make_gateway(events.url)
    client = gateway.test_client()
    event = events.schedule()
    first = registered(client, event["id"], "first@example.org")
    events.decide_waiting(gateway)
    link = f"/registrations/{first}/cancel?token={cancel_token(SECRET, uuid.UUID(first))}"
    https = {"base_url": "https://sanctuary.example"}
    shown = client.get(link, headers={"Accept": "text/html"}, **https)
    assert shown.headers["Referrer-Policy"] == "strict-origin"
    assert page(client, "/events").headers["Referrer-Policy"] == "same-origin"
    answer = client.post(
        f"/registrations/{first}/cancel",
        data={"csrf_token": csrf_token(shown.text), "token": link.split("token=")[1]},
        headers={"Accept": "text/html", "Referer": "https://sanctuary.example/"},
        **https,
    )
    assert answer.status_code == 303, answer.text
    assert events.registration(first).status == "cancelled"


def test_the_cancel_button_needs_its_csrf_token(
    client: FlaskClient, gateway: Any, events: Events
) -> None:
    event = events.schedule()
    first = registered(client, event["id"], "first@example.org")
    events.decide_waiting(gateway)
    token = cancel_token(SECRET, uuid.UUID(first))
    answer = client.post(
        f"/registrations/{first}/cancel", data={"token": token}, headers={"Accept": "text/html"}
    )
    assert answer.status_code == 400
    assert events.registration(first).status == "confirmed"


# A fixed id: parameters must be the same at every collection (pytest-xdist compares them).
@pytest.mark.parametrize(
    "token",
    ["", "not-the-token", cancel_token(SECRET, uuid.UUID("00000000-0000-4000-8000-00000000c0de"))],
    ids=["empty", "garbage", "another-registrations-token"],
)
def test_a_bad_cancel_link_gets_a_clear_page(
    client: FlaskClient, gateway: Any, events: Events, token: str
) -> None:
    event = events.schedule()
    first = registered(client, event["id"], "first@example.org")
    events.decide_waiting(gateway)
    shown = page(client, f"/registrations/{first}/cancel?token={token}")
    assert shown.status_code == 403
    assert "This link does not work" in shown.text
    csrf = csrf_token(page(client, f"/events/{event['id']}").text)
    refused = client.post(
        f"/registrations/{first}/cancel",
        data={"csrf_token": csrf, "token": token},
        headers={"Accept": "text/html", "Accept-Language": "ar"},
    )
    assert refused.status_code == 403
    assert tr(gateway, "ar", "This link does not work") in refused.text
    assert events.registration(first).status == "confirmed"


def test_a_cancel_link_for_a_registration_not_yet_taken_in_says_wait(
    client: FlaskClient, events: Events
) -> None:
    event = events.schedule()
    first = registered(client, event["id"], "first@example.org")  # not decided yet
    shown = page(
        client, f"/registrations/{first}/cancel?token={cancel_token(SECRET, uuid.UUID(first))}"
    )
    assert shown.status_code == 404
    assert "please wait a minute" in shown.text


@pytest.mark.parametrize("language", ["en", "ar"])
def test_with_the_events_service_down_the_pages_say_so_and_still_take_registrations(
    make_gateway: Callable[..., Any], language: str
) -> None:
    gateway = make_gateway("http://127.0.0.1:1")
    client = gateway.test_client()
    event_id = str(uuid.uuid4())
    for path in ("/events", f"/events/{event_id}"):
        shown = page(client, path, language)
        assert shown.status_code == 503
        assert shown.mimetype == "text/html"
        assert shown.headers["Retry-After"] == "30"
        assert tr(gateway, language, "Events are not available right now") in shown.text
    # A form opened before the service went down is still taken: the events service
    # decides once it is back.
    answer = client.post(
        f"/events/{event_id}",
        data={
            "csrf_token": session_csrf_token(client),
            "name": "Amina",
            "email": "amina@example.org",
            "consent": "yes",
        },
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 303
    assert len(requested(gateway)) == 1
    assert page(client, answer.headers["Location"]).status_code == 503


def session_csrf_token(client: FlaskClient) -> str:
    """The CSRF token a form of this client's session carries (as a page shown earlier)."""
    with client.application.test_request_context():
        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as stored:
        stored["csrf_token"] = raw
    return str(token)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_events_page_in_every_language(
    client: FlaskClient, gateway: Any, events: Events, language: str
) -> None:
    event = events.schedule()
    decided = registered(client, event["id"], "first@example.org")
    events.decide_waiting(gateway)
    received = registered(client, event["id"], "second@example.org")  # not taken in yet
    token = cancel_token(SECRET, uuid.UUID(decided))
    pages = {
        "/events": "Events",
        f"/events/{event['id']}": "Ask for a place",
        f"/registrations/{received}": "We have your request",
        f"/registrations/{decided}": "You have a place",
        f"/registrations/{decided}/cancel?token={token}": "Cancel your place?",
        f"/registrations/{decided}/cancel?token=x": "This link does not work",
    }
    for path, heading in pages.items():
        shown = page(client, path, language)
        assert LANGUAGES[language][0] in shown.text, path
        assert f">{tr(gateway, language, heading)}</h" in shown.text, path
