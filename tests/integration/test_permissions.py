"""Every coordinator route, of the JSON API and of the dashboard, found in the app's URL map
(so a new route is covered the day it is added), called without credentials, with wrong,
revoked and switched-off ones, and with valid ones; each valid call leaves its audit record.
Then what the dashboard's forms do, through the real internal APIs.

Real: the gateway on PostgreSQL, matching's, events' and notifications' internal APIs over
TCP on their own PostgreSQL databases.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from coordinator_walk import (
    PASSWORD,
    call,
    coordinator_routes,
    csrf_token,
    gateway_before_services,
    is_api,
    signed_in,
)
from flask.testing import FlaskClient
from gateway.adapters.models import AuditRecord
from gateway.domain import accounts
from gateway.entrypoints.coordinators.dashboard import AUDITED_VIEWS
from gateway.service_layer import staff
from notifications.adapters.models import Delivery
from sanctuary.runtime import Service
from sanctuary_dev.processes import running_worker, schedule_cafe, wait_until
from sqlalchemy import select

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": "Bearer coordinator-token"}


@pytest.fixture
def gateway(
    gateway_client: Callable[..., Any],
    matching: Service,
    events: Service,
    notifications: Service,
) -> Iterator[FlaskClient]:
    """The gateway routing to the real internal APIs, with one event scheduled."""
    with gateway_before_services(gateway_client, matching, events, notifications) as client:
        client.application.config["TEST_EVENT_ID"] = schedule_cafe(client, ADMIN)
        yield client


def sessions(client: FlaskClient) -> Any:
    """The gateway's sessions, to look at its tables."""
    return client.application.extensions["service"].sessions


def units(client: FlaskClient) -> Any:
    """The gateway's units of work, as the staff use cases take them."""
    return client.application.extensions["service"].unit_of_work


def routes(client: FlaskClient) -> list[tuple[str, str, str]]:
    return coordinator_routes(client.application, client.application.config["TEST_EVENT_ID"])


def test_the_walk_covers_the_api_and_the_dashboard(gateway: FlaskClient) -> None:
    endpoints = {endpoint for _, _, endpoint in routes(gateway)}
    for expected in (
        "coordinators.decide",
        "coordinators.create_event",
        "dashboard.index",
        "dashboard.decide",
        "dashboard.volunteer_contact",
        "dashboard.registrations_csv",
        "dashboard.audit",
        "dashboard.logout",
    ):
        assert expected in endpoints
    assert len(routes(gateway)) >= 35
    # The pages that show contact details, audited whenever they are viewed.
    assert {"dashboard.event", "dashboard.registrations_csv", "dashboard.deliveries"} <= (
        AUDITED_VIEWS
    )


def test_without_credentials_nothing_opens(gateway: FlaskClient) -> None:
    anonymous = gateway.application.test_client()
    token = csrf_token(anonymous, "/coordinator/login")  # a session, but nobody signed in
    for method, path, endpoint in routes(gateway):
        answer = call(anonymous, method, path, token)
        where = f"{method} {path}"
        if is_api(endpoint):
            assert answer.status_code == 401, where
            assert answer.headers["WWW-Authenticate"] == "Bearer", where
        elif method == "GET":
            assert answer.status_code == 303, where
            assert answer.headers["Location"].startswith("/coordinator/login?next="), where
        else:
            assert answer.status_code == 401, where
    with sessions(gateway)() as db:
        # Only the fixture's own call (scheduling the event with the bootstrap token).
        assert [r.action for r in db.scalars(select(AuditRecord))] == ["create_event"]


def test_wrong_revoked_and_expired_credentials_are_refused(gateway: FlaskClient) -> None:
    coordinator_id = staff.create_coordinator(units(gateway), "r@example.org", "R", PASSWORD)
    revoked = staff.issue_token(units(gateway), coordinator_id, "old").token
    (token_row,) = staff.tokens_of(units(gateway), coordinator_id)
    assert staff.revoke_token(units(gateway), coordinator_id, token_row.id)
    idle = signed_in(gateway, "r@example.org")
    token = csrf_token(idle, "/coordinator/tokens")
    with idle.session_transaction() as cookie:
        cookie["seen"] -= accounts.IDLE_TIMEOUT.total_seconds() + 1
    for method, path, endpoint in routes(gateway):
        where = f"{method} {path}"
        if is_api(endpoint):
            for wrong in ("sct_" + "x" * 43, revoked, "coordinator-toke"):
                answer = call(gateway, method, path, "", bearer=wrong)
                assert answer.status_code == 401, where
                assert answer.headers["WWW-Authenticate"] == "Bearer", where
        else:
            answer = call(idle, method, path, token)
            assert answer.status_code == (303 if method == "GET" else 401), where
            with idle.session_transaction() as cookie:  # stay idle for the next route
                cookie["seen"] = 0


def test_a_switched_off_coordinator_gets_403_everywhere(gateway: FlaskClient) -> None:
    coordinator_id = staff.create_coordinator(units(gateway), "o@example.org", "O", PASSWORD)
    bearer = staff.issue_token(units(gateway), coordinator_id, "script").token
    browser = signed_in(gateway, "o@example.org")
    token = csrf_token(browser, "/coordinator/tokens")
    assert staff.set_active(units(gateway), "o@example.org", False)
    for method, path, endpoint in routes(gateway):
        if is_api(endpoint):
            answer = call(gateway, method, path, "", bearer=bearer)
        else:
            answer = call(browser, method, path, token)
        assert answer.status_code == 403, f"{method} {path}"


def test_valid_credentials_open_every_route_and_each_call_is_audited(
    gateway: FlaskClient,
) -> None:
    # A network admin: past every door (a coordinator of groups is walked across groups in
    # test_group_scope.py).
    coordinator_id = staff.create_coordinator(
        units(gateway), "v@example.org", "V", PASSWORD, network_admin=True
    )
    bearer = staff.issue_token(units(gateway), coordinator_id, "script").token
    browser = signed_in(gateway, "v@example.org")
    token = csrf_token(browser, "/coordinator/tokens")
    expected = set()
    for method, path, endpoint in routes(gateway):
        where = f"{method} {path}"
        if is_api(endpoint):
            answer = call(gateway, method, path, "", bearer=bearer)
        else:
            answer = call(browser, method, path, token)
        # Past the door: the internal API decides (200, 201, 404 for a made-up id, 409,
        # 422 for an empty body), or the dashboard redirects after its action.
        assert answer.status_code not in (400, 401, 403), where
        assert answer.status_code < 500, f"{where}: {answer.text[:300]}"
        if answer.status_code == 303 and endpoint != "dashboard.logout":
            assert "/coordinator/login" not in answer.headers["Location"], where
        audited = is_api(endpoint) or method == "POST" or endpoint in AUDITED_VIEWS
        if audited:
            rule_action = path.rstrip("/").rsplit("/", 1)[-1]
            name = endpoint.rpartition(".")[2]
            if endpoint.endswith(".decide"):
                name = f"decide:{rule_action}"
            expected.add(("api" if is_api(endpoint) else "dashboard", name))
    with sessions(gateway)() as db:
        records = db.scalars(
            select(AuditRecord).where(AuditRecord.coordinator_id == coordinator_id)
        ).all()
    found = {(r.via, r.action) for r in records}
    assert expected - found == set()
    assert {r.actor for r in records} == {"coordinator"}
    assert all(r.route.startswith(("GET ", "POST ", "PATCH ")) for r in records)
    assert all(r.status for r in records)


def test_showing_contact_details_is_audited_and_the_audit_log_holds_ids_only(
    gateway: FlaskClient, matching: Service
) -> None:
    coordinator_id = staff.create_coordinator(
        units(gateway), "c@example.org", "C", PASSWORD, network_admin=True
    )
    volunteer = gateway.post(
        "/api/v1/volunteers",
        json={
            "name": "Samira Haddad",
            "email": "samira@example.org",
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "availability": [{"day": "sat", "part": "morning"}],
            "consent": True,
            "special_consent": True,
        },
    )
    assert volunteer.status_code == 202
    volunteer_id = volunteer.json["id"]
    browser = signed_in(gateway, "c@example.org")
    with running_worker(matching):
        wait_until(lambda: volunteer_id in browser.get("/coordinator/volunteers").text)
    listed = browser.get("/coordinator/volunteers")
    assert "Samira Haddad" in listed.text
    assert "samira@example.org" not in listed.text  # contact details only when asked
    token = csrf_token(browser, "/coordinator/volunteers")
    shown = browser.post(
        f"/coordinator/volunteers/{volunteer_id}/contact", data={"csrf_token": token}
    )
    assert shown.status_code == 200
    assert "samira@example.org" in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    with sessions(gateway)() as db:
        record = db.scalars(
            select(AuditRecord).where(AuditRecord.action == "volunteer_contact")
        ).one()
    assert record.coordinator_id == coordinator_id
    assert (record.target_type, record.target_id) == ("volunteer", volunteer_id)
    audit_page = browser.get("/coordinator/audit")
    assert "volunteer_contact" in audit_page.text
    assert "samira" not in audit_page.text.lower()
    assert "Haddad" not in audit_page.text


# What the dashboard's forms do, end to end through the internal APIs.


def flashed(browser: FlaskClient, answer: Any) -> str:
    """Follow a POST-redirect-GET and return the page it lands on."""
    assert answer.status_code == 303, answer.text[:300]
    return str(browser.get(answer.headers["Location"]).text)


def test_events_are_scheduled_changed_and_cancelled_from_the_dashboard(
    gateway: FlaskClient, events: Service
) -> None:
    staff.create_coordinator(units(gateway), "e@example.org", "E", PASSWORD, network_admin=True)
    browser = signed_in(gateway, "e@example.org")
    token = csrf_token(browser, "/coordinator/events")
    form = {
        "csrf_token": token,
        "title": "Sewing circle",
        "kind": "training",
        "starts_at": "2031-03-01T10:00",
        "ends_at": "2031-03-01T12:00",
        "timezone": "Europe/London",
        "capacity": "1",
        "location": "Library",
    }
    page = flashed(browser, browser.post("/coordinator/events", data=form))
    assert "Event scheduled." in page
    event_id = re.search(r'href="/coordinator/events/([0-9a-f-]{36})">Sewing circle', page)
    assert event_id
    event_path = f"/coordinator/events/{event_id.group(1)}"
    refused = flashed(browser, browser.post("/coordinator/events", data={**form, "ends_at": ""}))
    assert "ends_at: Missing data for required field." in refused
    garbled = {**form, "ends_at": "tomorrow"}
    refused = flashed(browser, browser.post("/coordinator/events", data=garbled))
    assert "ends_at: give a date and time." in refused
    refused = flashed(browser, browser.post("/coordinator/events", data={**form, "location": ""}))
    assert "location: Say where it takes place." in refused

    with running_worker(events):
        for name in ("Ana Lima", "Bo Chen"):
            answer = gateway.post(
                f"/api/v1/events/{event_id.group(1)}/registrations",
                json={"name": name, "email": f"{name[:2].lower()}@example.org", "consent": True},
            )
            assert answer.status_code == 202
        wait_until(lambda: "Bo Chen" in browser.get(event_path).text)
    shown = browser.get(event_path).text
    assert "(1 in the queue)" in shown  # one place: Bo waits
    confirmed = re.search(r'name="registration_ids" value="([0-9a-f-]{36})"', shown)
    assert confirmed
    marked = browser.post(
        f"{event_path}/attendance",
        data={"csrf_token": token, "registration_ids": confirmed.group(1)},
    )
    assert "Attendance recorded." in flashed(browser, marked)
    csv = browser.get(f"{event_path}/registrations.csv")
    assert csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    assert '"Ana Lima","an@example.org","confirmed","","True"' in csv.text

    changed = browser.post(f"{event_path}/edit", data={"csrf_token": token, "capacity": "2"})
    assert "Saved." in flashed(browser, changed)
    assert "(1 in the queue)" not in browser.get(event_path).text  # Bo has the new place
    shrunk = browser.post(f"{event_path}/edit", data={"csrf_token": token, "capacity": "0"})
    assert "capacity" in flashed(browser, shrunk)
    cancelled = browser.post(f"{event_path}/cancel", data={"csrf_token": token})
    assert "Cancelled: everyone registered is being told." in flashed(browser, cancelled)
    with sessions(gateway)() as db:
        actions = [
            r.action for r in db.scalars(select(AuditRecord).where(AuditRecord.via == "dashboard"))
        ]
    for action in ("create_event", "event", "attendance", "registrations_csv", "cancel_event"):
        assert action in actions


def test_checks_and_decisions_from_the_dashboard_name_what_is_wrong(
    gateway: FlaskClient, matching: Service
) -> None:
    staff.create_coordinator(units(gateway), "d@example.org", "D", PASSWORD, network_admin=True)
    browser = signed_in(gateway, "d@example.org")
    token = csrf_token(browser, "/coordinator/tokens")
    volunteer = gateway.post(
        "/api/v1/volunteers",
        json={
            "name": "Sam Carter",
            "email": "sam@example.org",
            "postcode": "LS6 1AA",
            "languages": ["en"],
            "availability": [{"day": "sat", "part": "morning"}],
            "consent": True,
            "special_consent": True,
        },
    ).json["id"]
    with running_worker(matching):
        wait_until(lambda: "Sam Carter" in browser.get("/coordinator/volunteers").text)
    checks = f"/coordinator/volunteers/{volunteer}/checks"
    recorded = browser.post(checks, data={"csrf_token": token, "references": "verified"})
    assert "Checks recorded." in flashed(browser, recorded)
    assert "now: verified" in browser.get("/coordinator/volunteers").text
    wrong = browser.post(checks, data={"csrf_token": token, "dbs": "maybe"})
    assert "dbs: Must be one of" in flashed(browser, wrong)
    nothing = browser.post(checks, data={"csrf_token": token})
    assert "Choose at least one check to record." in flashed(browser, nothing)
    reject = f"/coordinator/matches/{uuid.uuid4()}/reject"
    no_reason = browser.post(reject, data={"csrf_token": token, "reason": ""})
    assert "reason: A reason is needed to reject a match." in flashed(browser, no_reason)


def test_the_dashboard_answers_a_page_when_a_service_is_down(
    gateway_client: Callable[..., Any],
) -> None:
    client = gateway_client(matching_url="http://127.0.0.1:9", events_url="http://127.0.0.1:9")
    staff.create_coordinator(units(client), "x@example.org", "X", PASSWORD, network_admin=True)
    browser = signed_in(client, "x@example.org")
    for path in ("/coordinator/", "/coordinator/volunteers", "/coordinator/events"):
        answer = browser.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 503, path
        assert answer.mimetype == "text/html"
    assert browser.get("/coordinator/tokens").status_code == 200  # the gateway's own pages


def test_email_deliveries_are_listed_failures_first_and_the_view_is_audited(
    gateway: FlaskClient, notifications: Service
) -> None:
    now = datetime.now(UTC)
    with notifications.sessions.begin() as db:
        for n, (status, attempts, error) in enumerate(
            [("sent", 1, None), ("failed", 5, "550 mailbox unavailable"), ("pending", 0, None)]
        ):
            db.add(
                Delivery(
                    id=uuid.uuid4(),
                    dedupe_key=f"k{n}",
                    template="volunteer_welcome",
                    to_address=f"person{n}@example.org",
                    locale="en",
                    context={},
                    status=status,
                    attempts=attempts,
                    next_attempt_at=now,
                    last_error=error,
                    correlation_id=str(uuid.uuid4()),
                    created_at=now + timedelta(seconds=n),
                    sent_at=now if status == "sent" else None,
                )
            )
    staff.create_coordinator(units(gateway), "m@example.org", "M", PASSWORD, network_admin=True)
    browser = signed_in(gateway, "m@example.org")
    page = browser.get("/coordinator/deliveries").text
    assert "1 failed · 1 waiting · 1 sent" in page
    rows = re.findall(r"<td>(failed|sent|pending)</td>", page)
    assert rows[0] == "failed"
    assert "550 mailbox unavailable" in page
    only_sent = browser.get("/coordinator/deliveries?status=sent").text
    assert "person0@example.org" in only_sent
    assert "person1@example.org" not in only_sent
    with sessions(gateway)() as db:
        views = db.scalars(select(AuditRecord).where(AuditRecord.action == "deliveries")).all()
    assert len(views) == 2
