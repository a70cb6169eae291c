"""What a coordinator reads in the dashboard, on the real internal APIs (issue 15): the
volunteers lists with what placing someone needs, and events in their own time zone.

Real: the gateway, matching, events and notifications on PostgreSQL, their internal APIs
served over TCP, a signed-in coordinator's browser session (Flask's test client)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from coordinator_walk import PASSWORD, csrf_token, gateway_before_services, signed_in
from flask.testing import FlaskClient
from matching.service_layer import coordination
from sanctuary import references
from sanctuary.runtime import Service
from sanctuary.vocabulary import READY_WHEN
from sanctuary_dev.messages import apply, signed_up

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer admin-token-for-tests"}


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
