"""Two local groups, North and South, with their own people, a match, an event with a
registrant, an email and an audit record each side: a coordinator of North walks every
coordinator route of the JSON API and of the dashboard (found in the app's URL map, so a new
route is covered the day it is added) with South's ids, and gets 404 for each, with nothing
changed; no list or page shows anything of South's.

Real: the gateway on PostgreSQL, and matching's, events' and notifications' internal APIs
over TCP on their own PostgreSQL databases.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from gateway.adapters.models import AuditRecord, PrivacyRequest
from gateway.service_layer import groups, staff
from matching.adapters.models import Match, Volunteer
from matching.adapters.models import Outbox as MatchingOutbox
from matching.service_layer import coordination
from notifications.adapters.models import Delivery
from sanctuary.contracts import RegistrationRequested
from sanctuary.runtime import Service
from sanctuary.vocabulary import READY_WHEN, MatchStatus
from sanctuary_dev.messages import apply, group_created, registered, requested, signed_up
from sqlalchemy import func, select

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": "Bearer coordinator-token"}
# Route arguments that name something of one group: each must answer 404 across groups.
NAMED = {"volunteer_id", "newcomer_id", "match_id", "event_id", "person_id"}


@dataclass
class South:
    """What South holds, by id, and what must never show to North."""

    group_id: uuid.UUID
    volunteer: uuid.UUID
    newcomer: uuid.UUID
    match: uuid.UUID
    event: str
    registration: uuid.UUID

    def secrets(self) -> list[str]:
        return [
            str(self.volunteer),
            str(self.newcomer),
            str(self.match),
            self.event,
            str(self.registration),
            "Southern Volunteer",
            "south.volunteer@example.org",
            "south.registrant@example.org",
            "South café",
        ]


@pytest.fixture
def network(
    gateway_client: Callable[..., Any], matching: Service, events: Service, notifications: Service
) -> Iterator[tuple[FlaskClient, South]]:
    with gateway_before_services(gateway_client, matching, events, notifications) as client:
        for slug, area in (("north", "LS"), ("south", "S")):
            body = {"slug": slug, "name": slug.title(), "contact": f"{slug}@example.org"}
            made = client.post("/api/v1/groups", json={**body, "areas": [area]}, headers=ADMIN)
            assert made.status_code == 201, made.json
        south = groups.by_slug(client.application.extensions["service"].sessions, "south")
        assert south is not None
        yield client, _south(client, south.id, matching, events, notifications)


def _south(
    client: FlaskClient, group_id: uuid.UUID, matching: Service, events: Service, mail: Service
) -> South:
    """South's volunteer (ready), newcomer, their proposed match, an event with a
    registrant, and an email."""
    slot = (("sat", "morning"),)
    volunteer = signed_up(
        name="Southern Volunteer",
        email="south.volunteer@example.org",
        postcode="S1 2AB",
        languages=("ti", "en"),
        availability=slot,
        group_id=group_id,
    )
    newcomer = requested(postcode="S1 3CD", languages=("ti",), group_id=group_id)
    apply(matching, volunteer, newcomer)
    with matching.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer.volunteer_id, dict(READY_WHEN))
    with matching.unit_of_work() as uow:
        [proposal] = coordination.start_run(uow, dry_run=False, group_id=group_id).proposals
    with matching.sessions() as session:
        match_id = session.scalar(select(Match.id).where(Match.newcomer_id == newcomer.newcomer_id))
    assert match_id is not None
    starts = datetime.now(UTC) + timedelta(days=7)
    event = client.post(
        "/api/v1/events",
        headers=ADMIN,
        json={
            "title": "South café",
            "kind": "social",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 5,
            "location": "Sheffield library",
            "group": "south",
        },
    )
    assert event.status_code == 201, event.json
    assert event.json["group_id"] == str(group_id)
    registration = RegistrationRequested(
        registration_id=uuid.uuid4(),
        event_id=uuid.UUID(event.json["id"]),
        name="Southern Registrant",
        email="south.registrant@example.org",
        requested_at=datetime.now(UTC),
    )
    apply(events, registration)
    south_group = group_created(
        group_id=group_id, slug="south", name="South", contact="south@example.org", network=False
    )
    apply(mail, south_group, registered(email="south.volunteer@example.org", group_id=group_id))
    with mail.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
    assert proposal.volunteer_id == volunteer.volunteer_id
    return South(
        group_id=group_id,
        volunteer=volunteer.volunteer_id,
        newcomer=newcomer.newcomer_id,
        match=match_id,
        event=event.json["id"],
        registration=registration.registration_id,
    )


def routes_naming(client: FlaskClient, south: South) -> list[tuple[str, str, str, str]]:
    """Every coordinator route: (method, path with South's ids, the same path with made-up
    ids, endpoint); both paths are the same for a route that names nothing of a group."""
    ids = {
        "volunteer_id": south.volunteer,
        "newcomer_id": south.newcomer,
        "match_id": south.match,
        "event_id": south.event,
    }
    walked = []
    adapter = client.application.url_map.bind("localhost")
    for method, path, endpoint in coordinator_routes(client.application, south.event):
        values = dict(adapter.match(path, method=method)[1])
        theirs = {name: ids.get(name, value) for name, value in values.items()}
        if "person_id" in values:
            newcomers = values["people"] == "newcomers"
            theirs["person_id"] = south.newcomer if newcomers else south.volunteer
        made_up = {n: uuid.uuid4() if n in NAMED else v for n, v in values.items()}
        walked.append(
            (method, adapter.build(endpoint, theirs), adapter.build(endpoint, made_up), endpoint)
        )
    return walked


def state(matching: Service, south: South) -> tuple[Any, ...]:
    """What a North coordinator must not be able to change of South's."""
    with matching.sessions() as session:
        match = session.get(Match, south.match)
        volunteer = session.get(Volunteer, south.volunteer)
        assert match is not None
        assert volunteer is not None
        return (match.status, volunteer.references, volunteer.group_id, match.group_id)


def test_a_coordinator_of_one_group_never_reaches_anothers(
    network: tuple[FlaskClient, South], matching: Service
) -> None:
    client, south = network
    units = client.application.extensions["service"].unit_of_work
    north_id = staff.create_coordinator(units, "n@example.org", "N", PASSWORD, groups=["north"])
    bearer = staff.issue_token(units, north_id, "script").token
    browser = signed_in(client, "n@example.org")
    token = csrf_token(browser, "/coordinator/tokens")
    before = state(matching, south)
    walked = routes_naming(client, south)
    assert sum(path != made_up for _, path, made_up, _ in walked) >= 15

    def answer(method: str, path: str, endpoint: str) -> Any:
        if is_api(endpoint):
            return call(client, method, path, "", bearer=bearer)
        return call(browser, method, path, token)

    for method, path, made_up, endpoint in walked:
        where = f"{method} {path}"
        theirs = answer(method, path, endpoint)
        assert theirs.status_code < 500, f"{where}: {theirs.text[:300]}"
        if path != made_up:
            # Exactly as for something that does not exist: never done, never confirmed.
            nothing = answer(method, made_up, endpoint)
            assert theirs.status_code == nothing.status_code, f"{where}: {theirs.text[:200]}"
            # (A dashboard form refused before anything is asked goes back with the reason.)
            assert theirs.status_code in (303, 404, 422), f"{where}: {theirs.status_code}"
        for secret in south.secrets():
            # A 404 may say back the id it was asked for: nothing more.
            assert secret in path or secret not in theirs.text, f"{where} shows {secret}"
    assert state(matching, south) == before
    assert before[0] == MatchStatus.PROPOSED


def test_well_formed_requests_on_another_groups_people_and_events_are_404_and_change_nothing(
    network: tuple[FlaskClient, South], matching: Service
) -> None:
    """The walk's bodies are empty; here each action is one that would succeed for South's
    own coordinators, and North's still gets 404 with nothing changed."""
    client, south = network
    units = client.application.extensions["service"].unit_of_work
    north_id = staff.create_coordinator(units, "n@example.org", "N", PASSWORD, groups=["north"])
    headers = {"Authorization": f"Bearer {staff.issue_token(units, north_id, 'script').token}"}
    before = state(matching, south)
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    actions = [
        ("POST", f"/api/v1/volunteers/{south.volunteer}/checks", {"references": "verified"}),
        ("POST", f"/api/v1/matches/{south.match}/approve", {}),
        ("POST", f"/api/v1/matches/{south.match}/reject", {"reason": "not a fit"}),
        ("GET", f"/api/v1/newcomers/{south.newcomer}/suggestions", None),
        ("POST", f"/api/v1/volunteers/{south.volunteer}/group", {"group": "north"}),
        ("PATCH", f"/api/v1/events/{south.event}", {"capacity": 9}),
        ("POST", f"/api/v1/events/{south.event}/cancel", None),
        ("GET", f"/api/v1/events/{south.event}/registrations", None),
    ]
    for method, path, body in actions:
        answer = client.open(path, method=method, headers=headers, json=body)
        assert answer.status_code == 404, f"{method} {path}: {answer.text[:200]}"
    # Naming another group is refused as naming one that does not exist: no hint of which.
    event = {"title": "Mine", "kind": "social", "starts_at": soon, "ends_at": soon,
             "capacity": 2, "location": "Hall"}  # fmt: skip

    def naming(slug: str) -> list[Any]:
        runs = {"dry_run": False, "group": slug}
        return [
            client.post("/api/v1/matching/runs", headers=headers, json=runs),
            client.post("/api/v1/events", headers=headers, json={**event, "group": slug}),
            client.get(f"/api/v1/volunteers?group={slug}", headers=headers),
        ]

    for theirs, nowhere in zip(naming("south"), naming("nowhere"), strict=True):
        assert (theirs.status_code, nowhere.status_code) == (422, 422)
        assert theirs.json["errors"][0]["field"] == "group"
        assert theirs.json["detail"].replace("south", "nowhere") == nowhere.json["detail"]
    browser = signed_in(client, "n@example.org")
    token = csrf_token(browser, "/coordinator/tokens")
    approve = call(browser, "POST", f"/coordinator/matches/{south.match}/approve", token)
    assert approve.status_code == 404
    assert state(matching, south) == before
    events = client.get(f"/api/v1/events/{south.event}").json  # the public page still shows it
    assert events["status"] == "published"


def test_a_person_who_moved_city_moves_group_unless_a_match_holds_them(
    network: tuple[FlaskClient, South], matching: Service
) -> None:
    """409 with the reason while their match is open; otherwise the move is made, announced
    (person.moved) and audited, and North's coordinators now see them, South's no longer."""
    client, south = network
    held = client.post(
        f"/api/v1/volunteers/{south.volunteer}/group", json={"group": "north"}, headers=ADMIN
    )
    assert held.status_code == 409
    assert "open match" in held.json["detail"]
    moving = requested(postcode="S1 4EF", group_id=south.group_id)
    apply(matching, moving)
    moved = client.post(
        f"/api/v1/newcomers/{moving.newcomer_id}/group", json={"group": "north"}, headers=ADMIN
    )
    assert moved.status_code == 200, moved.json
    north = groups.by_slug(client.application.extensions["service"].sessions, "north")
    assert north is not None
    assert moved.json["group_id"] == str(north.id)
    with matching.sessions() as session:
        announced = session.scalars(
            select(MatchingOutbox.body).where(MatchingOutbox.type == "person.moved")
        ).all()
    assert [json.loads(body)["person_id"] for body in announced] == [str(moving.newcomer_id)]
    with client.application.extensions["service"].sessions() as session:
        audited = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "move_person")
        ).all()
    assert [(r.target_id, r.status) for r in audited] == [
        (str(south.volunteer), 409),
        (str(moving.newcomer_id), 200),
    ]
    units = client.application.extensions["service"].unit_of_work
    made = staff.create_coordinator(units, "s@example.org", "S", PASSWORD, groups=["south"])
    theirs = {"Authorization": f"Bearer {staff.issue_token(units, made, 't').token}"}
    gone = client.get(f"/api/v1/newcomers/{moving.newcomer_id}/suggestions", headers=theirs)
    assert gone.status_code == 404


def test_network_admins_place_people_no_group_covers_yet(
    network: tuple[FlaskClient, South], matching: Service
) -> None:
    """Someone whose postcode no group covers is on the network's list (never a
    coordinator's); a network admin places them in a group from the network page."""
    client, south = network
    nobody = signed_up(name="Unplaced Person", postcode="EH1 1AA", group_id=None)
    apply(matching, nobody)
    units = client.application.extensions["service"].unit_of_work
    staff.create_coordinator(units, "a@example.org", "A", PASSWORD, network_admin=True)
    staff.create_coordinator(units, "n@example.org", "N", PASSWORD, groups=["north"])
    admin, north = signed_in(client, "a@example.org"), signed_in(client, "n@example.org")
    page = admin.get("/coordinator/network")
    assert page.status_code == 200
    assert "<title>Network · Coordinators" in page.text
    assert page.text.count("Unplaced Person") == 1
    assert "Southern Volunteer" not in page.text  # South's people are placed
    assert north.get("/coordinator/network").status_code == 403
    assert "Unplaced Person" not in north.get("/coordinator/volunteers").text
    token = csrf_token(admin, "/coordinator/network")
    placed = admin.post(
        f"/coordinator/volunteers/{nobody.volunteer_id}/group",
        data={"csrf_token": token, "group": "north", "next": "/coordinator/network"},
    )
    assert placed.status_code == 303
    with matching.sessions() as session:
        volunteer = session.get(Volunteer, nobody.volunteer_id)
        assert volunteer is not None
        north_group = groups.by_slug(client.application.extensions["service"].sessions, "north")
        assert north_group is not None
        assert volunteer.group_id == north_group.id
    assert "Unplaced Person" not in admin.get("/coordinator/network").text
    assert "Unplaced Person" in north.get("/coordinator/volunteers").text
    assert south.group_id != north_group.id


def test_people_s_rights_are_exercised_for_ones_own_groups_only(
    network: tuple[FlaskClient, South],
) -> None:
    """A subject access or an erasure for South's volunteer: 404 for North's coordinator (by
    email or by id, as for nobody at all); South's gets the export, service by service, and
    the erasure's matrix; both are recorded with the coordinator and the reason, and audited."""
    client, south = network
    units = client.application.extensions["service"].unit_of_work

    def bearer(email: str, group: str) -> dict[str, str]:
        made = staff.create_coordinator(units, email, "C", PASSWORD, groups=[group])
        return {"Authorization": f"Bearer {staff.issue_token(units, made, 'script').token}"}

    north, southern = bearer("n@example.org", "north"), bearer("s@example.org", "south")
    by_email = {"email": "South.Volunteer@example.org", "reason": "asked by phone"}
    by_id = {"volunteer_ids": [str(south.volunteer)], "reason": "asked by phone"}
    for path in ("/api/v1/subject-access", "/api/v1/erasures"):
        for body in (by_email, by_id):
            refused = client.post(path, json=body, headers=north)
            assert refused.status_code == 404, refused.text
            assert "Southern" not in refused.text
    nobody = {"email": "nobody@example.org", "reason": "x"}
    assert client.post("/api/v1/subject-access", json=nobody, headers=southern).status_code == 404

    export = client.post("/api/v1/subject-access", json=by_id, headers=southern)
    assert export.status_code == 200, export.text
    services = export.json["services"]
    [volunteer] = services["matching"]["volunteers"]
    assert (volunteer["name"], volunteer["email"]) == (
        "Southern Volunteer",
        "south.volunteer@example.org",
    )
    assert [m["id"] for m in services["matching"]["matches"]] == [str(south.match)]
    assert "Southern Registrant" not in export.text  # another person at their group's event
    assert services["notifications"]["people"]

    asked = client.post("/api/v1/erasures", json=by_email, headers=southern)
    assert asked.status_code == 202, asked.text
    assert client.get(asked.json["status_url"], headers=north).status_code == 404
    matrix = client.get(asked.json["status_url"], headers=southern).json
    assert matrix["status"] == "pending"
    assert {row["service"]: row["status"] for row in matrix["services"]} == {
        "gateway": "done",
        "matching": "pending",
        "events": "pending",
        "notifications": "pending",
    }
    gateway = client.application.extensions["service"]
    with gateway.sessions() as session:
        requests = session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.requested_at))
        assert [(r.kind, r.reason, r.via) for r in requests] == [
            ("access", "asked by phone", "api"),
            ("erasure", "asked by phone", "api"),
        ]
        actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.status < 300)))
    assert {"subject_access", "request_erasure", "erasure_status"} <= actions
