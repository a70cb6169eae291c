"""Coordinators are scoped to their groups: matching's internal API lists only the groups the
gateway names in X-Groups, answers 404 (as for a missing id) for anyone or any match outside
them, changing nothing, and runs only their groups. Without X-Groups (a network admin),
everything, as before; people with no group yet are a network admin's only.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the matching worker and
matching's internal API over TCP (threaded), called as the gateway calls it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from matching.adapters.models import Match, Newcomer, Outbox, Volunteer
from sanctuary.runtime import Service
from sanctuary_dev.messages import publish_messages, requested, signed_up
from sanctuary_dev.processes import running_worker, wait_until
from sqlalchemy import func, select

pytestmark = pytest.mark.integration
A, B = uuid.uuid4(), uuid.uuid4()
SLOT = (("sat", "morning"),)
READY = {"references": "verified", "screening": "passed", "training": "completed"}


class Api:
    """Matching's internal API with the service credential, as a caller seeing `groups`
    (X-Groups, comma-separated; None: no header, a network admin)."""

    def __init__(self, url: str, http: requests.Session, groups: str | None = None) -> None:
        self.url, self.http = url, http
        self.headers = {} if groups is None else {"X-Groups": groups}

    def seeing(self, *groups: uuid.UUID) -> Api:
        """The same API called by a coordinator of these groups (none: an empty X-Groups)."""
        return Api(self.url, self.http, ",".join(str(g) for g in groups))

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(self.url + path, params=params, headers=self.headers, timeout=10)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.http.post(self.url + path, json=body, headers=self.headers, timeout=10)

    def run(self, group: uuid.UUID | None = None, **body: Any) -> requests.Response:
        return self.post("/runs", {"group_id": group and str(group), "dry_run": False, **body})


@pytest.fixture
def admin(matching_url: str) -> Iterator[Api]:
    """A network admin: no X-Groups."""
    with requests.Session() as http:
        http.headers["Authorization"] = "Bearer s3cret"
        yield Api(f"{matching_url}/internal/v1", http)


def arrive(matching: Service, groups: list[uuid.UUID | None]) -> None:
    """One volunteer and one newcomer of each of `groups`, stored by the worker."""
    messages = [
        signed_up(group_id=g, email=f"v-{uuid.uuid4().hex[:8]}@example.org", availability=SLOT)
        for g in groups
    ]
    messages += [requested(group_id=g, postcode="LS6 2BB") for g in groups]

    def stored() -> bool:
        with matching.sessions() as session:
            counts = [
                session.scalar(select(func.count()).select_from(m)) for m in (Volunteer, Newcomer)
            ]
            return counts == [len(groups), len(groups)]

    with running_worker(matching):
        publish_messages(matching.config.amqp_url, messages)
        wait_until(stored)


def people(matching: Service, model: type[Volunteer] | type[Newcomer]) -> dict[Any, str]:
    """Group -> the id of its one volunteer or newcomer."""
    with matching.sessions() as session:
        return {p.group_id: str(p.id) for p in session.scalars(select(model))}


def ready(admin: Api, volunteers: dict[Any, str]) -> None:
    for volunteer in volunteers.values():
        assert admin.post(f"/volunteers/{volunteer}/checks", READY).json()["status"] == "ready"


def matches_by_group(matching: Service) -> dict[Any, str]:
    with matching.sessions() as session:
        return {m.group_id: str(m.id) for m in session.scalars(select(Match))}


def snapshot(matching: Service) -> dict[str, Any]:
    """Everything a call could change: people, matches and the facts in the outbox."""
    with matching.sessions() as session:
        return {
            "volunteers": {
                (str(v.id), v.status, v.references, v.screening, v.dbs, v.training)
                for v in session.scalars(select(Volunteer))
            },
            "newcomers": {(str(n.id), n.status) for n in session.scalars(select(Newcomer))},
            "matches": {
                (str(m.id), m.status, m.reason, m.approved_at)
                for m in session.scalars(select(Match))
            },
            "outbox": session.scalar(select(func.count()).select_from(Outbox)),
        }


def not_found_as_if_missing(answer: requests.Response, missing: requests.Response) -> None:
    """A 404 with the very problem a missing id gets (only the id in the detail differs)."""
    hidden_id, missing_id = (r.url.split("/")[6] for r in (answer, missing))
    assert answer.status_code == 404, answer.text
    assert answer.headers["Content-Type"] == missing.headers["Content-Type"]
    assert answer.json() == {
        **missing.json(),
        "detail": missing.json()["detail"].replace(missing_id, hidden_id),
    }


def single_object_calls(api: Api, volunteer: str, newcomer: str, match: str | None) -> list[Any]:
    """Every single-object route on these people (and match)."""
    calls = [
        api.get(f"/volunteers/{volunteer}"),
        api.post(f"/volunteers/{volunteer}/checks", {"dbs": "held"}),
        api.get(f"/newcomers/{newcomer}"),
        api.get(f"/newcomers/{newcomer}/suggestions"),
    ]
    if match is not None:
        calls += [
            api.post(f"/matches/{match}/approve", {}),
            api.post(f"/matches/{match}/reject", {"reason": "not_a_good_fit"}),
            api.post(f"/matches/{match}/end", {"reason": "moved away"}),
        ]
    return calls


def assert_all_hidden(api: Api, volunteer: str, newcomer: str, match: str | None) -> None:
    """Each single-object route answers 404 as for a missing id."""
    nobody = str(uuid.uuid4())
    for answer, missing in zip(
        single_object_calls(api, volunteer, newcomer, match),
        single_object_calls(api, nobody, nobody, match and nobody),
        strict=True,
    ):
        not_found_as_if_missing(answer, missing)


@pytest.fixture
def two_groups(matching: Service, admin: Api) -> dict[str, dict[Any, str]]:
    """A, B and nobody's volunteer (ready) and newcomer; the admin's run proposed A's and
    B's pairs (the groupless newcomer waits)."""
    arrive(matching, [A, B, None])
    volunteers = people(matching, Volunteer)
    ready(admin, volunteers)
    assert admin.run().status_code == 200
    found = {"volunteers": volunteers, "newcomers": people(matching, Newcomer)}
    return {**found, "matches": matches_by_group(matching)}


def test_a_coordinators_lists_hold_only_their_groups_rows(
    admin: Api, two_groups: dict[str, dict[Any, str]]
) -> None:
    """X-Groups A: A's rows only, even when asking for B; A and B: both, never the groupless
    volunteer; no header: everyone; an empty X-Groups: nothing."""
    volunteers, matches = two_groups["volunteers"], two_groups["matches"]
    assert set(matches) == {A, B}

    def listed(api: Api, path: str, *groups: uuid.UUID) -> list[str]:
        answer = api.get(path, group_id=[str(g) for g in groups])
        assert answer.status_code == 200, answer.text
        return sorted(row["id"] for row in answer.json())

    for path, rows in (("/volunteers", volunteers), ("/matches", matches)):
        assert listed(admin.seeing(A), path) == [rows[A]]
        assert listed(admin.seeing(A), path, A) == [rows[A]]
        assert listed(admin.seeing(A), path, B) == []
        assert listed(admin.seeing(A), path, A, B) == [rows[A]]
        assert listed(admin.seeing(A, B), path) == sorted([rows[A], rows[B]])
        assert listed(admin.seeing(A, B), path, B) == [rows[B]]
        assert listed(admin.seeing(), path) == []
        assert listed(admin.seeing(), path, A) == []
        assert listed(admin, path) == sorted(rows.values())
    assert listed(admin.seeing(A), "/matches", A) == [matches[A]]
    assert admin.seeing(A).get("/matches", status="approved").json() == []


def test_the_newcomers_list_is_scoped_and_refuses_an_unknown_status(
    admin: Api, two_groups: dict[str, dict[Any, str]]
) -> None:
    """GET /newcomers (the coordinators' Newcomers page): a coordinator of A sees A's only;
    a status it does not know is a 400 naming the ones it does."""
    seen = admin.seeing(A).get("/newcomers")
    assert seen.status_code == 200, seen.text
    assert {row["group_id"] for row in seen.json()} == {str(A)}
    refused = admin.get("/newcomers", status="asleep")
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "status must be one of" in refused.text


def test_another_groups_people_and_matches_are_not_found_and_nothing_changes(
    matching: Service, admin: Api, two_groups: dict[str, dict[Any, str]]
) -> None:
    """B's volunteer, newcomer and match, called with X-Groups A (or an empty X-Groups): 404
    as for a missing id, no change, no fact; the same calls on A's work."""
    volunteers, newcomers, matches = (two_groups[k] for k in ("volunteers", "newcomers", "matches"))
    before = snapshot(matching)
    assert_all_hidden(admin.seeing(A), volunteers[B], newcomers[B], matches[B])
    assert_all_hidden(admin.seeing(), volunteers[A], newcomers[A], matches[A])
    assert snapshot(matching) == before

    coordinator = admin.seeing(A)
    shown = coordinator.get(f"/volunteers/{volunteers[A]}")
    assert shown.json() == {"id": volunteers[A], "status": "ready", "group_id": str(A)}
    assert coordinator.get(f"/newcomers/{newcomers[A]}").json()["status"] == "proposed"
    assert coordinator.get(f"/newcomers/{newcomers[A]}/suggestions").json() == []
    checked = coordinator.post(f"/volunteers/{volunteers[A]}/checks", {"dbs": "held"})
    assert (checked.status_code, checked.json()["checks"]["dbs"]) == (200, "held")
    approved = coordinator.post(f"/matches/{matches[A]}/approve", {})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    after = snapshot(matching)
    assert after["outbox"] > before["outbox"]
    assert {m for m in after["matches"] if m[0] == matches[B]} == {
        m for m in before["matches"] if m[0] == matches[B]
    }
    assert (newcomers[B], "proposed") in after["newcomers"]


def test_someone_with_no_group_is_a_network_admins_only(
    matching: Service, admin: Api, two_groups: dict[str, dict[Any, str]]
) -> None:
    """The groupless volunteer and newcomer: 404 to any coordinator, shown without X-Groups."""
    volunteer, newcomer = two_groups["volunteers"][None], two_groups["newcomers"][None]
    before = snapshot(matching)
    assert_all_hidden(admin.seeing(A), volunteer, newcomer, None)
    assert_all_hidden(admin.seeing(A, B), volunteer, newcomer, None)
    assert snapshot(matching) == before
    assert admin.get(f"/volunteers/{volunteer}").json() == {
        "id": volunteer,
        "status": "ready",
        "group_id": None,
    }
    assert admin.get(f"/newcomers/{newcomer}").json()["status"] == "waiting"
    assert admin.get(f"/newcomers/{newcomer}/suggestions").json() == []
    checked = admin.post(f"/volunteers/{volunteer}/checks", {"dbs": "held"})
    assert (checked.status_code, checked.json()["checks"]["dbs"]) == (200, "held")


def test_a_coordinators_run_proposes_only_within_their_groups(
    matching: Service, admin: Api
) -> None:
    """X-Groups A: A's pair only (B's newcomer keeps waiting, the groupless one is not listed);
    naming B: 404 and nothing changes; X-Groups A and B: B's pair; an empty X-Groups: nothing."""
    arrive(matching, [A, B, None])
    volunteers, newcomers = people(matching, Volunteer), people(matching, Newcomer)
    ready(admin, volunteers)
    before = snapshot(matching)
    for api, group in ((admin.seeing(A), B), (admin.seeing(), A), (admin.seeing(A), uuid.uuid4())):
        for dry_run in (True, False):
            refused = api.run(group, dry_run=dry_run)
            assert (refused.status_code, refused.json()["title"]) == (404, "Not Found")
    empty = admin.seeing().run()
    assert (empty.status_code, empty.json()["proposals"], empty.json()["unmatched"]) == (
        200,
        [],
        [],
    )
    assert snapshot(matching) == before

    dry = admin.seeing(A).run(dry_run=True).json()
    assert dry == {**admin.seeing(A).run(A, dry_run=True).json(), "dry_run": True}
    ran = admin.seeing(A).run()
    assert ran.status_code == 200, ran.text
    assert [(p["volunteer_id"], p["newcomer_id"]) for p in ran.json()["proposals"]] == [
        (volunteers[A], newcomers[A])
    ]
    assert ran.json()["unmatched"] == []
    assert matches_by_group(matching).keys() == {A}
    assert admin.get(f"/newcomers/{newcomers[B]}").json()["status"] == "waiting"
    assert admin.get(f"/newcomers/{newcomers[None]}").json()["status"] == "waiting"

    both = admin.seeing(A, B).run().json()
    assert [(p["volunteer_id"], p["newcomer_id"]) for p in both["proposals"]] == [
        (volunteers[B], newcomers[B])
    ]
    assert matches_by_group(matching).keys() == {A, B}
    network = admin.run().json()
    assert [u["newcomer_id"] for u in network["unmatched"]] == [newcomers[None]]


def test_a_newcomer_with_a_phone_only_is_owed_two_calls_within_their_group(
    matching: Service, admin: Api
) -> None:
    """No email anywhere (ADR 0039): a call when the request arrives, another once a
    befriender is approved; listed and recorded within the group only; 409 once done."""
    volunteer = signed_up(group_id=A, email="v-calls@example.org", availability=SLOT)
    phoned = requested(
        group_id=A,
        name="Yonas Tesfaye",
        postcode="LS6 2BB",
        referrer_email=None,
        phone="+441134960123",
    )
    with running_worker(matching):
        publish_messages(matching.config.amqp_url, [volunteer, phoned])
        wait_until(lambda: admin.get(f"/newcomers/{phoned.newcomer_id}").status_code == 200)
        wait_until(lambda: admin.get(f"/volunteers/{volunteer.volunteer_id}").status_code == 200)
    coordinator, other = admin.seeing(A), admin.seeing(B)
    [call] = coordinator.get("/calls").json()
    assert call == call | {
        "newcomer_id": str(phoned.newcomer_id),
        "first_name": "Yonas",
        "phone": "+441134960123",
        "why": "request",
        "befriender": None,
    }
    assert other.get("/calls").json() == []
    called = f"/newcomers/{phoned.newcomer_id}/called"
    assert other.post(called, {}).status_code == 404
    done = coordinator.post(called, {})
    assert (done.status_code, done.json()["reach"]) == (200, "phone")
    assert coordinator.get("/calls").json() == []
    assert coordinator.post(called, {}).status_code == 409

    ready(admin, {A: str(volunteer.volunteer_id)})
    assert coordinator.run(A).status_code == 200
    [match] = coordinator.get("/matches", status="proposed").json()
    assert coordinator.get("/calls").json() == []  # proposed is not news for them yet
    assert coordinator.post(f"/matches/{match['id']}/approve", {}).status_code == 200
    [call] = coordinator.get("/calls").json()
    assert (call["why"], call["befriender"]) == ("introduction", "Test")
    assert coordinator.post(called, {}).status_code == 200
    assert coordinator.get("/calls").json() == []
