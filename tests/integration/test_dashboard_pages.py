"""What a coordinator reads in the dashboard, on the real internal APIs (issue 15): the
volunteers lists with what placing someone needs, and events in their own time zone.

Real: the gateway, matching, events and notifications on PostgreSQL, their internal APIs
served over TCP, a signed-in coordinator's browser session (Flask's test client)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from coordinator_walk import PASSWORD, csrf_token, gateway_before_services, signed_in
from flask.testing import FlaskClient
from gateway.service_layer import groups
from matching.service_layer import coordination
from sanctuary import references
from sanctuary.runtime import Service
from sanctuary.vocabulary import READY_WHEN
from sanctuary_dev.messages import apply, requested, signed_up

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer coordinator-token"}  # conftest: the bootstrap token


def submitted(client: FlaskClient, kind: str, record_id: uuid.UUID) -> None:
    """The gateway's record of a public submission, as if it came through the front door
    (the tests hand matching its messages directly)."""
    from gateway.adapters.models import Submission

    with client.application.extensions["service"].unit_of_work() as uow:
        uow.session.add(Submission(id=record_id, kind=kind, accepted_at=datetime.now(UTC)))


@pytest.fixture
def coordinator(
    gateway_client: Callable[..., Any], matching: Service, events: Service, notifications: Service
) -> Iterator[tuple[FlaskClient, FlaskClient]]:
    """A network admin's browser, and the API client (bootstrap token) beside it."""
    from gateway.service_layer import staff

    with gateway_before_services(gateway_client, matching, events, notifications) as client:
        units = client.application.extensions["service"].unit_of_work
        staff.create_coordinator(units, "a@example.org", "A", PASSWORD, network_admin=True)
        yield signed_in(client, "a@example.org"), client


def test_the_volunteers_lists_show_what_placing_someone_needs(
    coordinator: tuple[FlaskClient, FlaskClient], matching: Service
) -> None:
    """Waiting and ready, each its own list; each card says the reference, the date applied,
    the languages, when they are free, DBS; its two buttons apart."""
    browser, _ = coordinator
    waiting = signed_up(
        name="Waiting Volunteer",
        languages=("ti", "en"),
        availability=(("sat", "morning"), ("sun", "evening")),
    )
    ready = signed_up(name="Ready Volunteer", email="ready@example.org")
    apply(matching, waiting, ready)
    with matching.unit_of_work() as uow:
        coordination.record_checks(uow, ready.volunteer_id, dict(READY_WHEN))

    applied = browser.get("/coordinator/volunteers").text
    assert "Waiting Volunteer" in applied
    assert "Ready Volunteer" not in applied
    assert references.of(waiting.volunteer_id) in applied
    assert "<dt>Speaks</dt><dd>English, Tigrinya</dd>" in applied
    assert "Sat morning, Sun evening" in applied
    assert f"<dd>{datetime.now(UTC):%Y-%m-%d}</dd>" in applied
    assert 'form class="inline apart"' in applied

    shown = browser.get("/coordinator/volunteers?status=ready").text
    assert "Ready Volunteer" in shown
    assert "Waiting Volunteer" not in shown
    assert '<a href="/coordinator/volunteers?status=ready" aria-current="page">Ready</a>' in shown
    assert browser.get("/coordinator/volunteers?status=nonsense").status_code == 404

    # The reference a volunteer quotes on the phone, typed any way, finds their card.
    submitted(coordinator[1], "volunteer", ready.volunteer_id)
    typed = references.of(ready.volunteer_id).lower().replace("-", "")
    found = browser.get("/coordinator/find", query_string={"reference": typed})
    assert found.headers["Location"] == (
        f"/coordinator/volunteers?status=ready#v-{ready.volunteer_id}"
    )
    missing = browser.get("/coordinator/find?reference=ZZZZ-ZZZZ", follow_redirects=True)
    assert "Nobody has this reference" in missing.text


def test_events_read_in_their_own_time_and_the_edit_form_keeps_it(
    coordinator: tuple[FlaskClient, FlaskClient],
) -> None:
    """Times typed in London time were listed in UTC, and the edit form came back blank: a
    save without retyping them must change nothing."""
    browser, _ = coordinator
    token = csrf_token(browser, "/coordinator/events")
    made = browser.post(
        "/coordinator/events",
        data={
            "csrf_token": token,
            "title": "Summer social",
            "kind": "social",
            "starts_at": "2027-06-05T18:00",  # London: BST, 17:00 UTC
            "ends_at": "2027-06-05T20:00",
            "timezone": "Europe/London",
            "capacity": "10",
            "location": "Library",
        },
    )
    assert made.status_code == 303
    listed = browser.get("/coordinator/events").text
    assert "Saturday, 5 June 2027, 18:00\u201320:00 (London time)" in listed
    assert "<td>Social</td>" in listed
    assert '<option value="webinar">Webinar</option>' in listed
    [event_id] = re.findall(r'href="/coordinator/events/([0-9a-f-]{36})"', listed)

    page = browser.get(f"/coordinator/events/{event_id}").text
    assert 'name="starts_at" type="datetime-local" value="2027-06-05T18:00"' in page
    assert 'name="ends_at" type="datetime-local" value="2027-06-05T20:00"' in page
    saved = browser.post(
        f"/coordinator/events/{event_id}/edit",
        data={
            "csrf_token": csrf_token(browser, f"/coordinator/events/{event_id}"),
            "title": "Summer social",
            "starts_at": "2027-06-05T18:00",
            "ends_at": "2027-06-05T20:00",
            "timezone": "Europe/London",
            "capacity": "12",
            "location": "Library",
        },
    )
    assert saved.status_code == 303
    after = browser.get(f"/coordinator/events/{event_id}").text
    assert "Saturday, 5 June 2027, 18:00\u201320:00 (London time)" in after
    assert "12 of 12 places left" in after


def test_a_proposal_names_both_people_and_says_why_in_words(
    coordinator: tuple[FlaskClient, FlaskClient], matching: Service
) -> None:
    """It showed the volunteer's name and "newcomer ec5935fe", and raw points; now both first
    names and areas, the reasons as sentences, and the numbers one click away."""
    browser, client = coordinator
    leeds = {"slug": "leeds", "name": "Leeds", "contact": "leeds@example.org", "areas": ["LS"]}
    made = client.post("/api/v1/groups", json=leeds, headers=ADMIN)
    assert made.status_code == 201, made.json
    found = groups.by_slug(client.application.extensions["service"].sessions, "leeds")
    assert found is not None
    group_id = found.id
    volunteer = signed_up(
        group_id=group_id,
        name="Amina Khalid",
        postcode="LS6 1AA",
        languages=("ti", "en"),
        availability=(("sat", "morning"),),
        interests=("football",),
    )
    newcomer = requested(
        group_id=group_id,
        name="Yonas Tesfaye",
        postcode="LS6 3BB",
        languages=("ti",),
        interests=("football",),
        availability=(("sat", "morning"), ("sun", "evening")),
    )
    apply(matching, volunteer, newcomer)
    with matching.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer.volunteer_id, dict(READY_WHEN))
    with matching.unit_of_work() as uow:
        coordination.start_run(uow, dry_run=False)

    page = browser.get("/coordinator/matches").text
    hint = '<span class="hint">LS6 · <span translate="no">'
    amina = f"Amina {hint}{references.of(volunteer.volunteer_id)}</span></span>"
    yonas = f"Yonas {hint}{references.of(newcomer.newcomer_id)}</span></span>"
    assert f'<span class="pair">{amina} and {yonas}</span>' in page
    for reason in (
        "Both speak Tigrinya",
        "Yonas wants to practise English, which Amina speaks",
        "Both free Saturday mornings",
        "Both like football",
        "Both live in LS6",
    ):
        assert f"<li>{reason}</li>" in page
    assert "<summary>The numbers: score" in page
    assert "they were never rejected or ended as a pair" in page
    assert "not_rejected_or_ended_before" not in page
    assert "Khalid" not in page  # full names stay behind "Show contact details"


def test_newcomers_waiting_are_listed_with_why_the_last_run_left_them(
    coordinator: tuple[FlaskClient, FlaskClient], matching: Service
) -> None:
    """Newcomers were invisible: now a list, the longest waiting first, each with the last
    run's reason in plain words."""
    browser, client = coordinator
    leeds = {"slug": "leeds", "name": "Leeds", "contact": "leeds@example.org", "areas": ["LS"]}
    assert client.post("/api/v1/groups", json=leeds, headers=ADMIN).status_code == 201
    found = groups.by_slug(client.application.extensions["service"].sessions, "leeds")
    assert found is not None
    arabic_only = signed_up(
        group_id=found.id, postcode="LS6 1AA", languages=("ar",), availability=(("sat", "morning"),)
    )
    first = requested(
        group_id=found.id,
        name="Yonas T",
        postcode="LS6 3BB",
        languages=("ti",),
        wants_english_practice=False,
    )
    second = requested(group_id=found.id, name="Sara K", postcode="LS6 2BB", languages=("ar",))
    apply(matching, arabic_only, first, second)
    with matching.unit_of_work() as uow:
        coordination.record_checks(uow, arabic_only.volunteer_id, dict(READY_WHEN))
    before = browser.get("/coordinator/newcomers").text
    assert before.index("Yonas") < before.index("Sara")  # the longest waiting first
    assert "Not in a run yet" in before
    with matching.unit_of_work() as uow:
        coordination.start_run(uow, dry_run=False)

    page = browser.get("/coordinator/newcomers").text
    assert "No ready volunteer nearby speaks Tigrinya (1 of the 1 nearby)" in page
    assert "Sara" not in page  # proposed: no longer waiting
    assert references.of(first.newcomer_id) in page
    submitted(client, "newcomer", first.newcomer_id)
    found = browser.get(
        "/coordinator/find", query_string={"reference": references.of(first.newcomer_id)}
    )
    assert found.headers["Location"] == f"/coordinator/newcomers#n-{first.newcomer_id}"
    assert "worker@charity.example" not in page  # how to reach them stays behind its button


def test_a_newcomer_with_a_phone_only_is_a_call_to_make(
    coordinator: tuple[FlaskClient, FlaskClient], matching: Service
) -> None:
    """No email of theirs or anyone's: the newcomers page asks a coordinator to call them,
    with the number to tap and what to say; "I called them" clears it. Seeing the numbers is
    audited."""
    from gateway.adapters.models import AuditRecord
    from sqlalchemy import select

    browser, client = coordinator
    phoned = requested(
        name="Yonas Tesfaye", referrer_email=None, phone="+441134960123", languages=("ti",)
    )
    written = requested(name="Sara Kidane", email="sara@example.org", referrer_email=None)
    apply(matching, phoned, written)

    overview = browser.get("/coordinator/").text
    assert "<strong>1</strong> newcomer to call" in overview
    page = browser.get("/coordinator/newcomers").text
    calls = page[page.index("Calls to make") : page.index("Waiting for a befriender")]
    assert '<a href="tel:+441134960123" translate="no" dir="ltr">0113 496 0123</a>' in calls
    assert references.of(phoned.newcomer_id) in calls
    assert "speaks Tigrinya" in calls
    assert "Sara" not in calls  # she reads her emails
    assert "by phone" in page[page.index("Waiting for a befriender") :]
    with client.application.extensions["service"].sessions() as session:
        seen = session.scalars(select(AuditRecord.action)).all()
    assert any("newcomers" in action for action in seen), seen

    done = browser.post(
        f"/coordinator/newcomers/{phoned.newcomer_id}/called",
        data={"csrf_token": csrf_token(browser, "/coordinator/newcomers")},
    )
    assert done.status_code == 303
    after = browser.get("/coordinator/newcomers").text
    assert "Call recorded." in after
    assert "Calls to make" not in after
    assert "Yonas" in after  # still waiting for a befriender


def test_an_events_title_and_description_are_given_in_arabic_and_ukrainian(
    coordinator: tuple[FlaskClient, FlaskClient],
) -> None:
    """The form takes the text in the pages' other languages, the edit form shows it back,
    and emptying it removes it; a description without its title is refused in words."""
    browser, client = coordinator
    form = {
        "title": "Summer social",
        "kind": "social",
        "starts_at": "2027-06-05T18:00",
        "ends_at": "2027-06-05T20:00",
        "capacity": "10",
        "location": "Library",
        "title_ar": "لقاء صيفي",
        "description_ar": "تعالوا نتعارف.",
        "title_uk": "",
        "description_uk": "Лише опис",
    }
    token = csrf_token(browser, "/coordinator/events")
    refused = browser.post("/coordinator/events", data={"csrf_token": token, **form})
    assert "give the title in Ukrainian too" in browser.get(refused.headers["Location"]).text
    form["title_uk"] = "Літня зустріч"
    assert (
        browser.post("/coordinator/events", data={"csrf_token": token, **form}).status_code == 303
    )
    [event] = client.get("/api/v1/events").json
    assert event["translations"] == {
        "ar": {"title": "لقاء صيفي", "description": "تعالوا نتعارف."},
        "uk": {"title": "Літня зустріч", "description": "Лише опис"},
    }
    page = browser.get(f"/coordinator/events/{event['id']}").text
    assert 'lang="ar" dir="auto" value="لقاء صيفي"' in page
    edit = {k: form[k] for k in ("title", "starts_at", "ends_at", "capacity", "location")}
    edit |= {"title_ar": "لقاء صيفي", "description_ar": ""}  # Ukrainian emptied
    token = csrf_token(browser, f"/coordinator/events/{event['id']}")
    saved = browser.post(
        f"/coordinator/events/{event['id']}/edit", data={"csrf_token": token, **edit}
    )
    assert saved.status_code == 303
    [event] = client.get("/api/v1/events").json
    assert event["translations"] == {"ar": {"title": "لقاء صيفي", "description": ""}}
