"""The "Report a concern" page (issue 19, ADR 45): reached from an email's link naming what it
is about; no sign-in, no JavaScript, in the reader's language; a wrong form says which field
and why; a sent one is kept, its leads told, and the thanks page gives the reference and
what happens next. Without the link's subject, it says where to turn instead.

Real: the gateway on a migrated SQLite file (the services behind it not running: the concern
goes to the network's lead, never lost)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from gateway.adapters.models import Concern, Outbox
from gateway.service_layer import groups
from sanctuary import references
from sqlalchemy import select

BROWSER = {"Accept": "text/html"}
MATCH = uuid.uuid4()
PAGE = f"/concern?about=match&id={MATCH}"


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """The gateway, with the network's own group (`migrate` seeds it from the settings)."""
    made = make_app(public_rate_limit="")
    network = {"slug": "network", "name": "Network", "contact": "network@example.org"}
    groups.seed_default(made.extensions["service"].unit_of_work, network)
    return made


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


def submit(client: FlaskClient, path: str, form: dict[str, str]) -> Any:
    """Fetch the form, then post `form` back with its CSRF token, as a browser would."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=BROWSER).text)
    assert found
    return client.post(path, data={"csrf_token": found.group(1), **form}, headers=BROWSER)


def outbox(app: Any) -> list[str]:
    with app.extensions["service"].sessions() as session:
        return list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))


def test_a_concern_sent_from_an_emails_link_is_kept_and_its_leads_told(
    client: FlaskClient, app: Any
) -> None:
    page = client.get(PAGE, headers=BROWSER)
    assert page.status_code == 200
    assert "999" in page.text
    assert "<script" not in page.text
    wrong = submit(client, PAGE, {"category": "boundaries"})
    assert wrong.status_code == 422
    assert 'href="#urgency"' in wrong.text  # the summary links each wrong field
    assert 'href="#details"' in wrong.text
    form = {"category": "financial", "urgency": "urgent", "details": "Asked me for £50."}
    sent = submit(client, PAGE, form)
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"], headers=BROWSER)
    with app.extensions["service"].sessions() as session:
        [concern] = session.scalars(select(Concern)).all()
    assert (concern.about, concern.about_id, concern.urgency) == ("match", MATCH, "urgent")
    assert concern.reporter_contact is None  # anonymous
    assert concern.group_id is None  # matching did not answer: the network's lead's
    assert [t for t in outbox(app) if t.startswith("concern")] == ["concern.raised"]
    assert references.of(concern.id) in thanks.text


def test_the_page_speaks_arabic_and_without_a_subject_says_where_to_turn(
    client: FlaskClient,
) -> None:
    arabic = client.get(PAGE, headers={**BROWSER, "Accept-Language": "ar"})
    assert 'dir="rtl"' in arabic.text
    assert "الإبلاغ عن مخاوف" in arabic.text
    bare = client.get("/concern", headers=BROWSER)
    assert bare.status_code == 200
    assert "<form" not in bare.text.split("<main", 1)[1]
