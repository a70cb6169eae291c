"""Coordinators are scoped to their groups: the gateway names them in X-Groups, and the events
internal API shows and changes those groups' events (and sees the national ones) only.

Real: PostgreSQL (private databases) and the events internal API over TCP (threaded).
Registrations are decided by the real use case, through the service's unit of work.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from events.adapters.models import Event, Outbox, Registration
from events.service_layer import registrations
from sanctuary import contracts as c
from sanctuary.runtime import Service
from sqlalchemy import select

pytestmark = pytest.mark.integration
INTERNAL = {"Authorization": "Bearer s3cret"}
A, B = uuid.uuid4(), uuid.uuid4()


def call(
    events_url: str, method: str, path: str, groups: Iterable[uuid.UUID] | None = None, **kw: Any
) -> requests.Response:
    """The internal API as the gateway calls it: for a coordinator of `groups` (X-Groups), or
    without the header (None) for a network admin or a public read."""
    headers = dict(INTERNAL)
    if groups is not None:
        headers["X-Groups"] = ",".join(str(g) for g in groups)
    return requests.request(
        method, f"{events_url}/internal/v1{path}", headers=headers, timeout=30, **kw
    )


def event_body(title: str, group_id: uuid.UUID | None, in_days: int = 7) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=in_days)
    return {
        "title": title,
        "kind": "training",
        "topic": "safeguarding",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 10,
        "location": "Community hall",
        "group_id": group_id and str(group_id),
    }


def scheduled(events_url: str, title: str, group_id: uuid.UUID | None, in_days: int) -> str:
    """A training of `group_id` (None: national), scheduled by a network admin (no X-Groups)."""
    answer = call(events_url, "POST", "/events", json=event_body(title, group_id, in_days))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def registered(events: Service, event_id: str, email: str, group_id: uuid.UUID | None) -> str:
    """A confirmed place for a person of `group_id` (None: no group), decided by the use case."""
    registration_id = uuid.uuid4()
    with events.unit_of_work() as uow:
        registrations.decide(
            uow,
            c.RegistrationRequested(
                registration_id=registration_id,
                event_id=uuid.UUID(event_id),
                name="Someone",
                email=email,
                requested_at=datetime.now(UTC),
                group_id=group_id,
            ),
        )
    return str(registration_id)


def stored(events: Service) -> tuple[Any, ...]:
    """Everything a change could touch: the events, the registrations and the outbox."""
    with events.sessions() as session:
        return (
            sorted(
                (str(e.id), e.title, e.status, e.sequence, e.capacity)
                for e in session.scalars(select(Event))
            ),
            sorted(
                (str(r.id), r.status, r.attended_at) for r in session.scalars(select(Registration))
            ),
            sorted((o.message_id, o.type) for o in session.scalars(select(Outbox))),
        )


def outbox_types(events: Service) -> list[str]:
    with events.sessions() as session:
        return list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))


@pytest.fixture
def world(events: Service, events_url: str) -> dict[str, Any]:
    """Events of A, of B and a national one; at B's, one of B's people; at the national one,
    one of A's, one of B's and one of no group."""
    ids = {
        title: scheduled(events_url, title, group, in_days)
        for in_days, (title, group) in enumerate((("national", None), ("a", A), ("b", B)), 3)
    }
    people = {
        "at b": registered(events, ids["b"], "b0@example.org", B),
        "a at national": registered(events, ids["national"], "a1@example.org", A),
        "b at national": registered(events, ids["national"], "b1@example.org", B),
        "none at national": registered(events, ids["national"], "n1@example.org", None),
    }
    return {**ids, **people}


def listed(events_url: str, world: dict[str, Any], query: str = "", **kw: Any) -> list[str]:
    answer = call(events_url, "GET", f"/events{query}", **kw)
    assert answer.status_code == 200, answer.text
    titles = {world[t]: t for t in ("national", "a", "b")}
    return [titles[e["id"]] for e in answer.json()]


def test_a_coordinator_lists_their_groups_events_and_the_national_ones_never_anothers(
    events_url: str, world: dict[str, Any]
) -> None:
    """X-Groups: A shows A's events and the national ones, whatever the query asks for; an
    empty X-Groups only the national ones; no header, every group's, as before."""
    assert listed(events_url, world, groups=[A]) == ["national", "a"]
    assert listed(events_url, world, f"?group_id={B}", groups=[A]) == ["national"]
    assert listed(events_url, world, f"?group_id={A}&group_id={B}", groups=[A]) == [
        "national",
        "a",
    ]
    assert listed(events_url, world, "?national=false", groups=[A]) == ["a"]
    assert listed(events_url, world, groups=[A, B]) == ["national", "a", "b"]
    assert listed(events_url, world, groups=[]) == ["national"]
    assert listed(events_url, world, "?national=false", groups=[]) == []
    assert listed(events_url, world) == ["national", "a", "b"]
    assert listed(events_url, world, f"?group_id={B}") == ["national", "b"]
    bad = requests.get(
        f"{events_url}/internal/v1/events",
        headers={**INTERNAL, "X-Groups": "leeds"},
        timeout=30,
    )
    assert (bad.status_code, bad.headers["Content-Type"]) == (400, "application/problem+json")


def test_another_groups_event_is_not_found_by_any_route_and_nothing_changes(
    events: Service, events_url: str, world: dict[str, Any]
) -> None:
    """B's event with A's header: detail, change, cancel, registrations (JSON and CSV) and
    attendance all answer 404, as an unknown event does; no row and no fact changes."""
    before = stored(events)
    b = world["b"]
    unknown = call(events_url, "GET", f"/events/{uuid.uuid4()}", groups=[A])
    answers = [
        call(events_url, "GET", f"/events/{b}", groups=[A]),
        call(events_url, "PATCH", f"/events/{b}", groups=[A], json={"title": "Taken"}),
        call(events_url, "POST", f"/events/{b}/cancel", groups=[A]),
        call(events_url, "GET", f"/events/{b}/registrations", groups=[A]),
        call(events_url, "GET", f"/events/{b}/registrations?format=csv", groups=[A]),
        call(
            events_url,
            "POST",
            f"/events/{b}/attendance",
            groups=[A],
            json={"registration_ids": [world["at b"]]},
        ),
    ]
    assert [a.status_code for a in answers] == [404] * 6
    assert {a.headers["Content-Type"] for a in answers} == {"application/problem+json"}
    assert {a.json()["title"] for a in answers} == {unknown.json()["title"]} == {"Not Found"}
    assert stored(events) == before
    shown = call(events_url, "GET", f"/events/{b}", groups=[A, B])
    assert (shown.status_code, shown.json()["group_id"]) == (200, str(B))
    assert call(events_url, "GET", f"/events/{world['a']}", groups=[A]).status_code == 200
    assert call(events_url, "GET", f"/events/{world['national']}", groups=[A]).status_code == 200


def test_a_national_event_is_seen_by_a_coordinator_but_changed_by_network_admins_only(
    events: Service, events_url: str, world: dict[str, Any]
) -> None:
    """A's header: change and cancel are 403 and change nothing; without it both work."""
    national = world["national"]
    before = stored(events)
    changed = call(events_url, "PATCH", f"/events/{national}", groups=[A], json={"capacity": 20})
    cancelled = call(events_url, "POST", f"/events/{national}/cancel", groups=[A])
    for answer in (changed, cancelled):
        assert answer.status_code == 403
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["detail"] == "National events are changed by network admins."
    assert stored(events) == before
    by_admin = call(events_url, "PATCH", f"/events/{national}", json={"capacity": 20})
    assert (by_admin.status_code, by_admin.json()["capacity"]) == (200, 20)
    assert call(events_url, "POST", f"/events/{national}/cancel").json()["status"] == "cancelled"
    assert outbox_types(events)[-2:] == ["event.updated", "event.cancelled"]
    mine = call(events_url, "PATCH", f"/events/{world['a']}", groups=[A], json={"title": "Ours"})
    assert (mine.status_code, mine.json()["title"]) == (200, "Ours")


def test_a_coordinator_sees_and_marks_only_their_own_people_at_a_national_event(
    events: Service, events_url: str, world: dict[str, Any]
) -> None:
    """The list (JSON and CSV) holds A's registrant only; B's registrant is refused at
    attendance exactly as an unknown id is: nothing marked, no training.completed."""
    url = f"/events/{world['national']}"
    mine, theirs = world["a at national"], world["b at national"]
    rows = call(events_url, "GET", f"{url}/registrations", groups=[A]).json()
    assert [(r["id"], r["group_id"]) for r in rows] == [(mine, str(A))]
    download = call(events_url, "GET", f"{url}/registrations?format=csv", groups=[A])
    assert [r["id"] for r in csv.DictReader(io.StringIO(download.text))] == [mine]
    everyone = call(events_url, "GET", f"{url}/registrations").json()
    assert {r["id"] for r in everyone} == {mine, theirs, world["none at national"]}
    before = stored(events)
    stranger = str(uuid.uuid4())
    refused = {
        other: call(
            events_url,
            "POST",
            f"{url}/attendance",
            groups=[A],
            json={"registration_ids": [mine, other]},
        )
        for other in (theirs, world["none at national"], stranger)
    }
    for other, answer in refused.items():
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["registration_ids"]
        assert answer.json()["detail"] == refused[stranger].json()["detail"].replace(
            stranger, other
        )
    assert stored(events) == before
    marked = call(
        events_url, "POST", f"{url}/attendance", groups=[A], json={"registration_ids": [mine]}
    )
    assert marked.json() == {"marked": 1}
    assert outbox_types(events).count("training.completed") == 1
    by_admin = call(events_url, "POST", f"{url}/attendance", json={"registration_ids": [theirs]})
    assert by_admin.json() == {"marked": 1}


def test_a_coordinator_schedules_for_their_own_groups_only(
    events: Service, events_url: str
) -> None:
    """A's header: for B 404 (no such group), national 403, for A 201; nothing is stored or
    announced for the refused ones."""
    for_b = call(events_url, "POST", "/events", groups=[A], json=event_body("b", B))
    national = call(events_url, "POST", "/events", groups=[A], json=event_body("n", None))
    assert (for_b.status_code, for_b.json()["detail"]) == (404, "No such group.")
    assert (national.status_code, national.json()["detail"]) == (
        403,
        "National events are scheduled by network admins.",
    )
    assert stored(events) == ([], [], [])
    for_a = call(events_url, "POST", "/events", groups=[A], json=event_body("a", A))
    assert (for_a.status_code, for_a.json()["group_id"]) == (201, str(A))
    by_admin = call(events_url, "POST", "/events", json=event_body("n", None))
    assert (by_admin.status_code, by_admin.json()["group_id"]) == (201, None)
    assert outbox_types(events) == ["event.scheduled", "event.scheduled"]


def test_calls_without_the_header_still_see_every_group(
    events: Service, events_url: str, world: dict[str, Any]
) -> None:
    """The public reads and the email link's cancel, which the gateway sends without
    X-Groups, work for any group's event and registration, as before."""
    from sanctuary.links import cancel_token

    at_b = world["at b"]
    assert call(events_url, "GET", f"/events/{world['b']}").json()["group_id"] == str(B)
    status = call(events_url, "GET", f"/registrations/{at_b}").json()
    assert (status["status"], status["group_id"]) == ("confirmed", str(B))
    token = cancel_token("test-events-link-secret", uuid.UUID(at_b))
    cancelled = call(events_url, "POST", f"/registrations/{at_b}/cancel", json={"token": token})
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


def test_at_their_own_groups_event_a_coordinator_sees_and_marks_everyone_who_comes(
    events: Service, events_url: str, world: dict[str, Any]
) -> None:
    """Someone of B (or of no group) at one of A's events is A's to welcome: A's coordinator
    lists and marks them; B's coordinator does not see the event at all."""
    url = f"/events/{world['a']}"
    visitor = registered(events, world["a"], "b2@example.org", B)
    unplaced = registered(events, world["a"], "n2@example.org", None)
    rows = call(events_url, "GET", f"{url}/registrations", groups=[A]).json()
    assert {r["id"] for r in rows} == {visitor, unplaced}
    marked = call(
        events_url,
        "POST",
        f"{url}/attendance",
        groups=[A],
        json={"registration_ids": [visitor, unplaced]},
    )
    assert marked.json() == {"marked": 2}
    assert call(events_url, "GET", f"{url}/registrations", groups=[B]).status_code == 404


def test_a_person_who_moved_group_takes_their_registrations_with_them(
    events: Service, events_url: str, world: dict[str, Any]
) -> None:
    """person.moved: the places a volunteer of A holds as themselves (A's registrations) are
    B's now; A's coordinator no longer sees them at the national event, B's does."""
    from sanctuary_dev.messages import apply

    volunteer, registration_id = uuid.uuid4(), uuid.uuid4()
    request = c.RegistrationRequested(
        registration_id=registration_id,
        event_id=uuid.UUID(world["national"]),
        name="Mover",
        email="mover@example.org",
        requested_at=datetime.now(UTC),
        volunteer_id=volunteer,
        group_id=A,
    )
    moved = c.PersonMoved(person_id=volunteer, kind="volunteer", group_id=B, previous_group_id=A)
    apply(events, request, moved, moved)
    url = f"/events/{world['national']}/registrations"
    seen_by_a = {r["id"] for r in call(events_url, "GET", url, groups=[A]).json()}
    seen_by_b = {r["id"] for r in call(events_url, "GET", url, groups=[B]).json()}
    assert str(registration_id) not in seen_by_a
    assert str(registration_id) in seen_by_b
