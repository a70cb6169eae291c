"""Events: coordinators schedule, people register, wait, cancel and move up; never overbooked.

Real: RabbitMQ (a private vhost), PostgreSQL (private databases), the events internal API over
TCP (threaded), the gateway app and relay, and events workers (threads, or four real
`python -m events worker` processes for the concurrency test).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from events.adapters.models import Event, Outbox, Registration, Tally
from events.service_layer.registrations import confirmed_count, waitlist_position
from flask.testing import FlaskClient
from sanctuary.contracts import RegistrationRequested
from sanctuary.links import cancel_token
from sanctuary.runtime import Service
from sanctuary_dev.messages import publish_messages
from sanctuary_dev.processes import (
    running_worker,
    stop_processes,
    wait_until,
    worker_processes,
)
from sqlalchemy import func, select

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer coordinator-token"}


@pytest.fixture
def gateway(gateway_client: Callable[..., FlaskClient], events_url: str) -> FlaskClient:
    """A client of the gateway routing to that API; the gateway relay runs. No rate limit:
    the test client is one address standing for a thousand people."""
    return gateway_client(events_url=events_url, public_rate_limit="")


def schedule(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=7)
    answer = client.post(
        "/api/v1/events",
        headers=ADMIN,
        json={
            "title": "Safeguarding for befrienders",
            "kind": "webinar",
            "topic": "safeguarding",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 2,
            "online_url": "https://meet.example/abc",
            **changes,
        },
    )
    assert answer.status_code == 201, answer.json
    return dict(answer.json)


def register(client: FlaskClient, event_id: str, email: str) -> str:
    answer = client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={"name": "Ana", "email": email, "consent": True},
    )
    assert answer.status_code == 202, answer.json
    return str(answer.json["id"])


def state(client: FlaskClient, registration_id: str) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/registrations/{registration_id}").json)


def decided(client: FlaskClient, registration_id: str) -> dict[str, Any] | None:
    found = state(client, registration_id)
    return found if found["status"] != "received" else None


def test_places_then_the_waiting_list_then_promotion_on_cancel(
    gateway: FlaskClient, events: Service
) -> None:
    """Two places: two confirmed, the third waits at 1 and moves up when one cancels."""
    event = schedule(gateway)
    with running_worker(events):
        first = register(gateway, event["id"], "one@example.org")
        wait_until(lambda: decided(gateway, first))
        second = register(gateway, event["id"], "two@example.org")
        wait_until(lambda: decided(gateway, second))
        third = register(gateway, event["id"], "three@example.org")
        waiting = wait_until(lambda: decided(gateway, third))
    assert state(gateway, first)["status"] == "confirmed"
    assert waiting == {
        "id": third,
        "event_id": event["id"],
        "status": "waitlisted",
        "waitlist_position": 1,
        "group_id": None,  # a national event, and no group named
    }
    token = cancel_token("test-events-link-secret", uuid.UUID(first))
    cancelled = gateway.post(f"/api/v1/registrations/{first}/cancel", json={"token": token})
    assert cancelled.json["status"] == "cancelled"
    assert state(gateway, third)["status"] == "confirmed"
    with events.sessions() as session:
        types = list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))
    assert types[-2:] == ["registration.cancelled", "registration.promoted"]


def test_a_second_registration_with_the_same_email_reads_like_a_new_one(
    gateway: FlaskClient, events: Service
) -> None:
    """Never a second place, but whoever asked cannot tell (issue 16, point 1): the status
    read answers as for a new request (confirmed while places remain, then waitlisted with a
    position), never the reason or the id of the place the address holds; the events
    service keeps both, and announces registration.rejected so that the owner is told."""
    event = schedule(gateway)  # two places
    with running_worker(events):
        first = register(gateway, event["id"], "ana@example.org")
        wait_until(lambda: decided(gateway, first))
        again = register(gateway, event["id"], "ANA@example.org")
        answer = wait_until(lambda: decided(gateway, again))
        other = register(gateway, event["id"], "bo@example.org")
        wait_until(lambda: decided(gateway, other))
        late = register(gateway, event["id"], "ana@example.org")
        late_answer = wait_until(lambda: decided(gateway, late))
        third = register(gateway, event["id"], "cy@example.org")
        waiting = wait_until(lambda: decided(gateway, third))
    expected = {"id": again, "event_id": event["id"], "status": "confirmed", "group_id": None}
    assert answer == expected
    assert late_answer == {**expected, "id": late, "status": "waitlisted", "waitlist_position": 1}
    assert waiting["waitlist_position"] == 2  # as if the duplicate were a real place ahead
    token = cancel_token("test-events-link-secret", uuid.UUID(other))
    gateway.post(f"/api/v1/registrations/{other}/cancel", json={"token": token})
    # The freed place goes to the first real person waiting; the duplicate ahead moves up
    # with the queue, taking no place.
    assert state(gateway, late)["status"] == "confirmed"
    assert state(gateway, third)["status"] == "confirmed"
    with events.sessions() as session:
        for duplicate in (again, late):
            kept = session.get(Registration, uuid.UUID(duplicate))
            assert (kept.status, kept.reason) == ("rejected", "already_registered")
            assert kept.existing_registration_id == uuid.UUID(first)
        types = list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))
    assert types.count("registration.rejected") == 2


def test_unknown_closed_or_wrongly_cancelled_registrations_are_refused(
    gateway: FlaskClient, events: Service
) -> None:
    """Reasons at the status URL; a wrong cancel token gets 403 and changes nothing."""
    closed = schedule(
        gateway, registration_closes_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat()
    )
    with running_worker(events):
        unknown = register(gateway, str(uuid.uuid4()), "x@example.org")
        late = register(gateway, closed["id"], "y@example.org")
        assert wait_until(lambda: decided(gateway, unknown))["reason"] == "unknown_event"
        assert wait_until(lambda: decided(gateway, late))["reason"] == "registration_closed"
    wrong = gateway.post(f"/api/v1/registrations/{late}/cancel", json={"token": "guess"})
    assert wrong.status_code == 403


def test_the_public_listing_never_shows_a_webinar_link(gateway: FlaskClient) -> None:
    """Upcoming events, soonest first; the link is for confirmed people's email only."""
    later = schedule(
        gateway,
        starts_at=(datetime.now(UTC) + timedelta(days=9)).isoformat(),
        ends_at=(datetime.now(UTC) + timedelta(days=9, hours=1)).isoformat(),
    )
    sooner = schedule(gateway)
    listing = gateway.get("/api/v1/events").json
    assert [e["id"] for e in listing] == [sooner["id"], later["id"]]
    assert all("online_url" not in e for e in listing)
    assert "meet.example" not in gateway.get(f"/api/v1/events/{sooner['id']}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"online_url": None}, "online_url"),
        ({"ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        ({"starts_at": "2030-01-01T10:00:00"}, "starts_at"),
    ],
)
def test_a_bad_event_is_refused_with_the_field(
    gateway: FlaskClient, change: dict[str, Any], field: str
) -> None:
    """422 naming the field; naive times (no offset) are refused too."""
    starts = datetime.now(UTC) + timedelta(days=7)
    answer = gateway.post(
        "/api/v1/events",
        headers=ADMIN,
        json={
            "title": "T",
            "kind": "webinar",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "capacity": 5,
            "online_url": "https://meet.example/x",
            **change,
        },
    )
    assert answer.status_code == 422
    assert field in {e["field"] for e in answer.json["errors"]}


def test_five_hundred_registrations_for_fifty_places_with_four_workers_never_overbook(
    gateway: FlaskClient, events: Service
) -> None:
    """Four real worker processes decide at once, in batches of 50 a transaction as deployed
    (ADR 0036): exactly 50 confirmed, 450 waiting 1..450, and the event's counter says 50.
    (`python -m bench.events` times 1,000 for 100 places.)"""
    event = schedule(gateway, capacity=50)
    workers = worker_processes(events, 4, WORKER_BATCH="50")
    try:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:  # the requests arrive at once, too
            list(
                pool.map(
                    lambda i: register(gateway, event["id"], f"person{i}@example.org"), range(500)
                )
            )
        wait_for_registrations(events, 500, timeout=120)
    finally:
        assert stop_processes(workers) == [0, 0, 0, 0]
    with events.sessions() as session:
        confirmed = session.scalar(
            select(func.count()).select_from(Registration).where(Registration.status == "confirmed")
        )
        waiting = session.scalars(
            select(Registration)
            .where(Registration.status == "waitlisted")
            .order_by(Registration.queued_at, Registration.id)
        ).all()
        from events.service_layer.registrations import waitlist_position

        positions = [waitlist_position(session, r) for r in waiting[:5] + waiting[-5:]]
    assert confirmed == 50
    assert len(waiting) == 450
    assert positions == [1, 2, 3, 4, 5, 446, 447, 448, 449, 450]
    assert counted_places(events, event["id"]) == (50, 50)
    # Each person was told the position the queue gives them (a batch keeps its count).
    told = sorted(f["position"] for k, f in facts(events) if k == "registration.waitlisted")
    assert told == list(range(1, 451))
    # Four workers counted at once for the impact report (ADR 42): no count lost.
    with events.sessions() as session:
        tallied = session.execute(
            select(Tally.measure, func.sum(Tally.count)).group_by(Tally.measure)
        )
        assert dict(tallied.all()) == {
            "confirmed": 50,
            "waitlisted": 450,
            "held": 1,  # on the event's day, with its places and those taken
            "places": 50,
            "taken": 50,
        }


def test_one_batch_sees_its_own_decisions(gateway: FlaskClient, events: Service) -> None:
    """Decided in one transaction, a batch still rejects an address asking twice (shown as
    a new request would be, ADR 31), takes a request sent again under another message id
    once, counts its queue with the duplicates in it, and tells each position once."""
    event = uuid.UUID(schedule(gateway, capacity=3)["id"])
    people = [
        RegistrationRequested(
            registration_id=uuid.uuid4(),
            event_id=event,
            name=f"Person {i}",
            email=f"person{i % 8}@example.org",  # 10 requests, 8 addresses
            requested_at=datetime.now(UTC),
        )
        for i in range(10)
    ]
    again = people[5]  # the same request, sent again under a message id of its own
    publish_messages(events.config.amqp_url, [*people, again])
    workers = worker_processes(events, 1, WORKER_BATCH="50")
    try:
        wait_for_registrations(events, 10, timeout=60)
    finally:
        assert stop_processes(workers) == [0]
    with events.sessions() as session:
        rows = {r.id: r for r in session.scalars(select(Registration))}
        first: dict[str, Registration] = {}
        for r in sorted(rows.values(), key=lambda r: r.queued_at):
            first.setdefault(r.email, r)
        opened = {first[f"person{i}@example.org"].id for i in (0, 1)}
        positions = {r.id: waitlist_position(session, r) for r in rows.values()}
    statuses = sorted(r.status for r in rows.values())
    assert statuses == ["confirmed"] * 3 + ["rejected"] * 2 + ["waitlisted"] * 5
    rejected = [r for r in rows.values() if r.status == "rejected"]
    assert {r.existing_registration_id for r in rejected} == opened
    assert {r.shown_as for r in rejected} == {"waitlisted"}  # the queue was full for them
    told = {
        uuid.UUID(f["registration_id"]): f["position"]
        for k, f in facts(events)
        if k == "registration.waitlisted"
    }
    assert told == {i: positions[i] for i, r in rows.items() if r.status == "waitlisted"}
    assert sorted(told.values()) == [1, 2, 3, 4, 5]  # the duplicates came last
    assert counted_places(events, str(event)) == (3, 3)


def wait_for_registrations(events: Service, how_many: int, timeout: float) -> None:
    """Until the events service holds `how_many` registrations (each request decided)."""
    with events.sessions() as session:
        wait_until(
            lambda: session.scalar(select(func.count()).select_from(Registration)) == how_many,
            timeout=timeout,
            interval=0.2,
        )


def counted_places(events: Service, event_id: str) -> tuple[int, int]:
    """The event's counter of places and the places counted from its registrations: equal
    whatever happened (decisions, cancellations, promotions)."""
    with events.sessions() as session:
        event = session.get(Event, uuid.UUID(event_id))
        assert event is not None
        return event.confirmed, confirmed_count(session, event.id)


def outbox_types(events: Service) -> list[str]:
    with events.sessions() as session:
        return list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))


def test_raising_the_capacity_promotes_at_once_and_lowering_below_the_confirmed_is_409(
    gateway: FlaskClient, events: Service
) -> None:
    """One place, two people: the second waits, then moves up when a place is added."""
    event = schedule(gateway, capacity=1)
    with running_worker(events):
        first = register(gateway, event["id"], "a@example.org")
        wait_until(lambda: decided(gateway, first))
        second = register(gateway, event["id"], "b@example.org")
        wait_until(lambda: decided(gateway, second))
    assert state(gateway, second)["status"] == "waitlisted"
    raised = gateway.patch(f"/api/v1/events/{event['id']}", headers=ADMIN, json={"capacity": 2})
    assert raised.json["places_left"] == 0
    assert state(gateway, second)["status"] == "confirmed"
    lowered = gateway.patch(f"/api/v1/events/{event['id']}", headers=ADMIN, json={"capacity": 1})
    assert lowered.status_code == 409
    assert "2 people already have a place" in lowered.json["detail"]
    backwards = gateway.patch(
        f"/api/v1/events/{event['id']}",
        headers=ADMIN,
        json={"ends_at": "2020-01-01T00:00:00+00:00"},
    )
    assert (backwards.status_code, backwards.json["errors"][0]["field"]) == (422, "ends_at")
    no_link = gateway.patch(
        f"/api/v1/events/{event['id']}", headers=ADMIN, json={"online_url": None}
    )
    assert (no_link.status_code, no_link.json["errors"][0]["field"]) == (422, "online_url")
    assert outbox_types(events)[-2:] == ["registration.promoted", "event.updated"]


def test_a_cancelled_event_tells_everyone_and_takes_no_more_registrations(
    gateway: FlaskClient, events: Service
) -> None:
    """One event.cancelled; later requests are rejected with the reason."""
    event = schedule(gateway)
    with running_worker(events):
        first = register(gateway, event["id"], "a@example.org")
        wait_until(lambda: decided(gateway, first))
        cancelled = gateway.post(f"/api/v1/events/{event['id']}/cancel", headers=ADMIN)
        assert cancelled.json["status"] == "cancelled"
        late = register(gateway, event["id"], "b@example.org")
        assert wait_until(lambda: decided(gateway, late))["reason"] == "event_cancelled"
    assert state(gateway, first)["status"] == "cancelled"
    assert outbox_types(events).count("event.cancelled") == 1
    assert (
        gateway.patch(
            f"/api/v1/events/{event['id']}", headers=ADMIN, json={"title": "Again"}
        ).status_code
        == 409
    )


def test_attending_a_training_completes_it_once_and_the_list_downloads_as_csv(
    gateway: FlaskClient, events: Service
) -> None:
    """training.completed with the volunteer's id, once; the CSV defuses formulas."""
    event = schedule(gateway, kind="training", online_url=None, location="Library, LS6")
    volunteer_id = str(uuid.uuid4())
    with running_worker(events):
        answer = gateway.post(
            f"/api/v1/events/{event['id']}/registrations",
            json={
                "name": '=HYPERLINK("x")',
                "email": "v@example.org",
                "consent": True,
                "volunteer_id": volunteer_id,
            },
        )
        registration = str(answer.json["id"])
        wait_until(lambda: decided(gateway, registration))
        # A formula after a separator: safe only if the whole cell stays whole and guarded,
        # whatever the spreadsheet splits on (issue 16, point 8).
        body = {"name": "Sam;=1+2;", "email": "s@example.org", "consent": True}
        other = gateway.post(f"/api/v1/events/{event['id']}/registrations", json=body)
        wait_until(lambda: decided(gateway, str(other.json["id"])))
    url = f"/api/v1/events/{event['id']}/attendance"
    for _ in range(2):
        marked = gateway.post(url, headers=ADMIN, json={"registration_ids": [registration]})
        assert marked.status_code == 200
    assert outbox_types(events).count("training.completed") == 1
    stranger = gateway.post(url, headers=ADMIN, json={"registration_ids": [str(uuid.uuid4())]})
    assert (stranger.status_code, stranger.json["errors"][0]["field"]) == (422, "registration_ids")
    listing = gateway.get(f"/api/v1/events/{event['id']}/registrations?format=csv", headers=ADMIN)
    assert listing.mimetype == "text/csv"
    text = listing.get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0] == '"id","name","email","status","waitlist_position","attended"'
    assert "'=HYPERLINK" in text
    assert '"Sam;\'=1+2;"' in text  # quoted whole, and the part after the separator guarded
    for separator in (",", ";", "\t"):  # however a spreadsheet splits it, no cell is a formula
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            assert not any(cell.lstrip().startswith(("=", "+", "@")) for cell in row), row


def test_fifty_cancellations_amid_two_hundred_new_registrations_keep_every_rule(
    gateway: FlaskClient, events: Service, events_url: str
) -> None:
    """Cancellations (HTTP, 8 at a time) race new requests (four worker processes): still
    exactly 100 places, the freed ones to the first people waiting, in order."""
    import requests

    event = schedule(gateway, capacity=100)
    with running_worker(events):
        early = [register(gateway, event["id"], f"early{i}@example.org") for i in range(150)]
        wait_for_registrations(events, 150, timeout=60)
    with events.sessions() as session:
        by_status = {r.id: r.status for r in session.scalars(select(Registration))}
    first_confirmed = [r for r in early if by_status[uuid.UUID(r)] == "confirmed"]
    first_waiting = [r for r in early if by_status[uuid.UUID(r)] == "waitlisted"]
    assert (len(first_confirmed), len(first_waiting)) == (100, 50)
    leaving = first_confirmed[:50]
    workers = worker_processes(events, 4, WORKER_BATCH="10")  # deciding in batches meanwhile

    def leave(registration_id: str) -> int:
        return requests.post(
            f"{events_url}/internal/v1/registrations/{registration_id}/cancel",
            json={"token": cancel_token("test-events-link-secret", uuid.UUID(registration_id))},
            headers={"Authorization": "Bearer s3cret"},
            timeout=30,
        ).status_code

    try:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            cancels = pool.map(leave, leaving)
            for i in range(200):
                register(gateway, event["id"], f"late{i}@example.org")
            assert set(cancels) == {200}
        wait_for_registrations(events, 350, timeout=120)
    finally:
        assert stop_processes(workers) == [0, 0, 0, 0]
    with events.sessions() as session:
        final = {str(r.id): r.status for r in session.scalars(select(Registration))}
    confirmed = {r for r, s in final.items() if s == "confirmed"}
    assert len(confirmed) == 100
    assert confirmed == set(first_confirmed[50:]) | set(first_waiting)
    assert all(final[r] == "cancelled" for r in leaving)
    assert sum(1 for s in final.values() if s == "waitlisted") == 200
    assert counted_places(events, event["id"]) == (100, 100)


# --- local groups ----------------------------------------------------------------------------

INTERNAL = {"Authorization": "Bearer s3cret"}


def scheduled_for(events_url: str, title: str, group_id: uuid.UUID | None, in_days: int = 7) -> str:
    """An event of `group_id` (None: national) scheduled through the events internal API, as
    the gateway passes it on; it starts `in_days` from now."""
    import requests

    starts = datetime.now(UTC) + timedelta(days=in_days)
    body = {
        "title": title,
        "kind": "social",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 1,
        "location": "Community hall",
        "group_id": group_id and str(group_id),
    }
    answer = requests.post(
        f"{events_url}/internal/v1/events", json=body, headers=INTERNAL, timeout=30
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["group_id"] == (group_id and str(group_id))
    return str(answer.json()["id"])


def facts(events: Service) -> list[tuple[str, dict[str, Any]]]:

    with events.sessions() as session:
        rows = session.execute(select(Outbox.type, Outbox.body).order_by(Outbox.created_at))
        return [(kind, json.loads(body)) for kind, body in rows]


def test_a_groups_event_and_each_registration_announce_their_groups(
    events: Service, events_url: str, amqp_url: str
) -> None:
    """Over the broker: a request naming no group takes the event's (Leeds); one naming
    Bradford keeps it, waitlisted then promoted; every fact says whose."""
    import requests
    from sanctuary import contracts
    from sanctuary_dev.messages import publish_messages

    leeds, bradford = uuid.uuid4(), uuid.uuid4()
    event_id = scheduled_for(events_url, "Leeds social", leeds)
    first, second = uuid.uuid4(), uuid.uuid4()
    asked = [
        contracts.RegistrationRequested(
            registration_id=registration_id,
            event_id=uuid.UUID(event_id),
            name="Ana",
            email=email,
            requested_at=datetime.now(UTC),
            group_id=group_id,
        )
        for registration_id, email, group_id in (
            (first, "a@example.org", None),
            (second, "b@example.org", bradford),
        )
    ]
    with running_worker(events):
        publish_messages(amqp_url, asked[:1])
        wait_until(lambda: "registration.confirmed" in dict(facts(events)))
        publish_messages(amqp_url, asked[1:])
        wait_until(lambda: "registration.waitlisted" in dict(facts(events)))
    cancelled = requests.post(
        f"{events_url}/internal/v1/registrations/{first}/cancel",
        json={"token": cancel_token("test-events-link-secret", first)},
        headers=INTERNAL,
        timeout=30,
    )
    assert cancelled.json()["group_id"] == str(leeds)
    assert [
        (kind, body.get("registration_id"), body["group_id"]) for kind, body in facts(events)
    ] == [
        ("event.scheduled", None, str(leeds)),
        ("registration.confirmed", str(first), str(leeds)),
        ("registration.waitlisted", str(second), str(bradford)),
        ("registration.cancelled", str(first), str(leeds)),
        ("registration.promoted", str(second), str(bradford)),
    ]
    with events.sessions() as session:
        stored = {r.id: r.group_id for r in session.scalars(select(Registration))}
    assert stored == {first: leeds, second: bradford}


def test_the_list_by_group_shows_the_national_events_and_that_groups_only(
    events_url: str,
) -> None:
    """?group_id= gives national events and that group's; without it, every event; a group
    id that is not a UUID is a 422 naming group_id."""
    import requests

    leeds, bradford = uuid.uuid4(), uuid.uuid4()
    made = {
        scheduled_for(events_url, title, group, in_days): title
        for in_days, (title, group) in enumerate(
            (("national", None), ("leeds", leeds), ("bradford", bradford)), start=3
        )
    }

    def listed(query: str) -> list[str]:
        answer = requests.get(
            f"{events_url}/internal/v1/events{query}", headers=INTERNAL, timeout=30
        )
        assert answer.status_code == 200, answer.text
        return [made[e["id"]] for e in answer.json()]

    assert listed("") == ["national", "leeds", "bradford"]
    assert listed(f"?group_id={leeds}") == ["national", "leeds"]
    assert listed(f"?group_id={bradford}&national=false") == ["bradford"]
    bad = requests.get(
        f"{events_url}/internal/v1/events?group_id=leeds", headers=INTERNAL, timeout=30
    )
    assert bad.status_code == 422
    assert bad.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in bad.json()["errors"]] == ["group_id"]
