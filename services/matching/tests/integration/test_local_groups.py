"""Local groups in matching: runs pair people only within a group, people with no group are
never paired, lists filter by group, and the group of a sign-up is kept and announced.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the matching worker and
matching's internal API over TCP (threaded), called as the gateway calls it.
"""

from __future__ import annotations

import json
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
NORTH, SOUTH = uuid.uuid4(), uuid.uuid4()
SLOT = (("sat", "morning"),)
READY = {"references": "verified", "screening": "passed", "training": "completed"}


class Api:
    """Matching's internal API, with the service credential."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/internal/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer s3cret"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(self.url + path, params=params, timeout=10)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.http.post(self.url + path, json=body, timeout=10)

    def run(self, group: uuid.UUID | None, *, dry_run: bool = False) -> dict[str, Any]:
        group_id = None if group is None else str(group)
        answer = self.post("/runs", {"dry_run": dry_run, "group_id": group_id})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture
def api(matching_url: str) -> Iterator[Api]:
    client = Api(matching_url)
    yield client
    client.http.close()


def arrive(matching: Service, volunteers: list[Any], newcomers: list[Any]) -> None:
    """The worker stores these sign-ups (volunteer groups) and requests (newcomer groups)."""
    messages = [
        signed_up(
            group_id=group,
            email=f"v-{uuid.uuid4().hex[:8]}@example.org",
            availability=SLOT,
            max_matches=3,
        )
        for group in volunteers
    ]
    messages += [requested(group_id=group, postcode="LS6 2BB") for group in newcomers]

    def stored() -> bool:
        with matching.sessions() as session:
            counts = [
                session.scalar(select(func.count()).select_from(m)) for m in (Volunteer, Newcomer)
            ]
            return counts == [len(volunteers), len(newcomers)]

    with running_worker(matching):
        publish_messages(matching.config.amqp_url, messages)
        wait_until(stored)


def ids(matching: Service, model: type[Volunteer] | type[Newcomer]) -> dict[str, str | None]:
    """Each stored person's id, with their group (as JSON shows them)."""
    with matching.sessions() as session:
        return {
            str(p.id): None if p.group_id is None else str(p.group_id)
            for p in session.scalars(select(model).order_by(model.registered_at, model.id))
        }


def one_per_group(people: dict[str, str | None]) -> dict[uuid.UUID | None, str]:
    """Group -> the id of its one person."""
    assert len(set(people.values())) == len(people)
    return {None if g is None else uuid.UUID(g): person for person, g in people.items()}


def make_ready(api: Api, volunteer_ids: list[str]) -> None:
    for volunteer_id in volunteer_ids:
        answer = api.post(f"/volunteers/{volunteer_id}/checks", READY)
        assert answer.json()["status"] == "ready", answer.text


def test_a_run_for_one_group_proposes_only_within_that_group(matching: Service, api: Api) -> None:
    """North's run pairs north's people and leaves south waiting; then south's run."""
    arrive(matching, [NORTH, SOUTH], [SOUTH, NORTH])
    volunteers = one_per_group(ids(matching, Volunteer))
    newcomers = one_per_group(ids(matching, Newcomer))
    make_ready(api, list(volunteers.values()))
    north = api.run(NORTH)
    pairs = [(p["volunteer_id"], p["newcomer_id"]) for p in north["proposals"]]
    assert pairs == [(volunteers[NORTH], newcomers[NORTH])]
    assert (north["unmatched"], north["total_score"]) == ([], north["proposals"][0]["score"])
    assert api.get(f"/newcomers/{newcomers[SOUTH]}").json()["status"] == "waiting"
    south = api.run(SOUTH)
    pairs = [(p["volunteer_id"], p["newcomer_id"]) for p in south["proposals"]]
    assert pairs == [(volunteers[SOUTH], newcomers[SOUTH])]
    with matching.sessions() as session:
        recorded = {(str(m.newcomer_id), m.group_id) for m in session.scalars(select(Match))}
    assert recorded == {(newcomers[NORTH], NORTH), (newcomers[SOUTH], SOUTH)}


def test_a_network_run_never_pairs_across_groups_nor_anyone_without_a_group(
    matching: Service, api: Api
) -> None:
    """Every group solved on its own: south's newcomer and the newcomer with no group stay
    unmatched, though the north volunteer (three places) and the groupless one would fit."""
    arrive(matching, [NORTH, None], [None, SOUTH, NORTH])
    volunteers = one_per_group(ids(matching, Volunteer))
    newcomers = one_per_group(ids(matching, Newcomer))
    make_ready(api, list(volunteers.values()))
    dry = api.run(None, dry_run=True)
    network = api.run(None)
    assert network == {**dry, "dry_run": False}
    pairs = [(p["volunteer_id"], p["newcomer_id"]) for p in network["proposals"]]
    assert pairs == [(volunteers[NORTH], newcomers[NORTH])]
    assert network["total_score"] == network["proposals"][0]["score"]
    why = {u["newcomer_id"]: u["why"] for u in network["unmatched"]}
    assert set(why) == {newcomers[None], newcomers[SOUTH]}
    assert why[newcomers[None]].startswith("no local group yet")
    assert why[newcomers[SOUTH]] == "no volunteer in the area yet"
    for group in (None, SOUTH):
        newcomer = newcomers[group]
        assert api.get(f"/newcomers/{newcomer}/suggestions").json() == []
        assert api.get(f"/newcomers/{newcomer}").json() == {
            "id": newcomer,
            "status": "waiting",
            "group_id": None if group is None else str(group),
        }
    [match] = api.get("/matches").json()
    assert (match["newcomer_id"], match["group_id"]) == (newcomers[NORTH], str(NORTH))


def test_lists_filter_by_one_or_more_groups_and_show_each_records_group(
    matching: Service, api: Api
) -> None:
    """group_id repeated: only those groups' rows; a group_id that is not a UUID: 422."""
    arrive(matching, [NORTH, SOUTH, None], [NORTH, SOUTH])
    volunteers = ids(matching, Volunteer)
    make_ready(api, list(volunteers))
    api.run(None)

    def listed(path: str, *groups: uuid.UUID) -> list[str | None]:
        answer = api.get(path, group_id=[str(g) for g in groups])
        assert answer.status_code == 200, answer.text
        return [row["group_id"] for row in answer.json()]

    assert listed("/volunteers") == list(volunteers.values())
    assert listed("/volunteers", NORTH) == [str(NORTH)]
    assert sorted(listed("/volunteers", SOUTH, NORTH)) == sorted([str(NORTH), str(SOUTH)])
    assert listed("/volunteers", uuid.uuid4()) == []
    assert sorted(listed("/matches")) == sorted([str(NORTH), str(SOUTH)])
    assert listed("/matches", SOUTH) == [str(SOUTH)]
    assert api.get("/matches", group_id=str(SOUTH), status="approved").json() == []
    for path in ("/volunteers", "/matches"):
        bad = api.get(path, group_id=[str(NORTH), "north"])
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "group_id")
    bad_run = api.post("/runs", {"group_id": "north"})
    assert (bad_run.status_code, bad_run.json()["errors"][0]["field"]) == (422, "group_id")


def test_the_sign_ups_group_is_stored_and_announced_on_volunteer_registered(
    matching: Service, api: Api
) -> None:
    """The group each message names is kept; volunteer.registered carries it (or null)."""
    arrive(matching, [NORTH, None], [SOUTH])
    volunteers, newcomers = ids(matching, Volunteer), ids(matching, Newcomer)
    assert sorted(volunteers.values(), key=str) == sorted([str(NORTH), None], key=str)
    assert list(newcomers.values()) == [str(SOUTH)]
    with matching.sessions() as session:
        announced = {
            body["volunteer_id"]: body["group_id"]
            for body in map(
                json.loads,
                session.scalars(select(Outbox.body).where(Outbox.type == "volunteer.registered")),
            )
        }
    assert announced == volunteers
    for volunteer, group in volunteers.items():
        shown = api.get(f"/volunteers/{volunteer}").json()
        assert shown == {"id": volunteer, "status": "applied", "group_id": group}
