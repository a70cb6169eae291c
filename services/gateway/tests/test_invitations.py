"""Inviting coordinators without a shell: who may invite whom, the announced invitation, and
the emailed link that sets the password once, within 72 hours.

Real: the Flask app on a migrated SQLite file, its outbox, and the link's HMAC token made as
notifications makes it (LINK_SECRET).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway.adapters.models import Coordinator, Invitation, Membership, Outbox
from gateway.service_layer import staff
from sanctuary.links import invitation_token
from sqlalchemy import select, update

ADMIN = {"Authorization": "Bearer test-admin-token"}
PASSWORD = "a long enough passphrase"


@pytest.fixture
def client(make_app: Callable[..., Any]) -> Any:
    client = make_app(cookie_secure=False).test_client()
    for slug, area in (("north", "LS"), ("south", "S")):
        body = {"slug": slug, "name": slug.title(), "contact": f"{slug}@example.org"}
        assert client.post("/api/v1/groups", json={**body, "areas": [area]}, headers=ADMIN)
    return client


def service(client: Any) -> Any:
    return client.application.extensions["service"]


def bearer_of(client: Any, *groups: str) -> dict[str, str]:
    units = service(client).unit_of_work
    made = staff.create_coordinator(
        units, f"{uuid.uuid4().hex[:6]}@example.org", "C", PASSWORD, groups=list(groups)
    )
    return {"Authorization": f"Bearer {staff.issue_token(units, made, 't').token}"}


def link(invitation_id: str) -> str:
    """The link the invitation email carries, made as notifications makes it."""
    token = invitation_token("test-link-secret", uuid.UUID(invitation_id))
    return f"/coordinator/invitations/{invitation_id}/{token}"


def csrf(client: Any, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_an_invitation_is_announced_and_its_link_makes_the_account_once(client: Any) -> None:
    invited = client.post(
        "/api/v1/coordinators/invitations",
        json={"email": "Ali@Example.org", "name": "Ali", "groups": ["north"]},
        headers=bearer_of(client, "north"),
    )
    assert invited.status_code == 201, invited.json
    invitation_id = invited.json["id"]
    with service(client).sessions() as session:
        [row] = session.scalars(select(Outbox).where(Outbox.type == "coordinator.invited"))
    body = json.loads(row.body)
    assert (body["invitation_id"], body["email"]) == (invitation_id, "ali@example.org")
    assert "token" not in row.body  # the link is made when sending, never queued
    assert client.get(link(invitation_id)[:-3] + "xyz").status_code == 404
    page = client.get(link(invitation_id))
    assert page.status_code == 200
    assert "Welcome, Ali" in page.text
    token = csrf(client, link(invitation_id))
    differ = client.post(
        link(invitation_id), data={"csrf_token": token, "password": PASSWORD, "again": "x"}
    )
    assert differ.status_code == 422
    done = client.post(
        link(invitation_id), data={"csrf_token": token, "password": PASSWORD, "again": PASSWORD}
    )
    assert done.status_code == 303
    with service(client).sessions() as session:
        coordinator = session.scalar(
            select(Coordinator).where(Coordinator.email == "ali@example.org")
        )
        assert coordinator is not None
        assert not coordinator.network_admin
        groups = session.scalars(
            select(Membership.group_id).where(Membership.coordinator_id == coordinator.id)
        ).all()
    assert len(groups) == 1
    assert staff.sign_in(service(client).unit_of_work, "ali@example.org", PASSWORD) is not None
    assert client.get(link(invitation_id)).status_code == 410  # once only


def test_an_expired_invitation_no_longer_works(client: Any) -> None:
    invited = client.post(
        "/api/v1/coordinators/invitations",
        json={"email": "b@example.org", "name": "B", "groups": ["south"]},
        headers=ADMIN,
    )
    with (
        service(client).sessions.begin()
        if hasattr(service(client).sessions, "begin")
        else service(client).sessions() as session
    ):
        session.execute(
            update(Invitation).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        session.commit()
    answer = client.get(link(invited.json["id"]))
    assert answer.status_code == 410
    assert "expired" in answer.text


def test_who_may_invite_whom(client: Any) -> None:
    north = bearer_of(client, "north")
    url = "/api/v1/coordinators/invitations"
    other = client.post(
        url, json={"email": "c@example.org", "name": "C", "groups": ["south"]}, headers=north
    )
    assert other.status_code == 422
    assert other.json["errors"][0]["field"] == "groups"
    admin = client.post(
        url, json={"email": "d@example.org", "name": "D", "network_admin": True}, headers=north
    )
    assert admin.status_code == 403
    by_network = client.post(
        url, json={"email": "d@example.org", "name": "D", "network_admin": True}, headers=ADMIN
    )
    assert by_network.status_code == 201
    existing = staff.create_coordinator(
        service(client).unit_of_work, "e@example.org", "E", PASSWORD
    )
    assert existing
    again = client.post(url, json={"email": "E@example.org", "name": "E"}, headers=ADMIN)
    assert again.status_code == 409


def test_an_invitation_lapses_with_its_inviters_rights(client: Any) -> None:
    """Switched off (or out of the group) before the link is used: the link no longer works."""
    units = service(client).unit_of_work
    made = staff.create_coordinator(units, "f@example.org", "F", PASSWORD, groups=["north"])
    bearer = {"Authorization": f"Bearer {staff.issue_token(units, made, 't').token}"}
    invited = client.post(
        "/api/v1/coordinators/invitations",
        json={"email": "g@example.org", "name": "G", "groups": ["north"]},
        headers=bearer,
    )
    assert invited.status_code == 201
    assert staff.set_active(units, "f@example.org", False)
    token = csrf(client, link(invited.json["id"]))
    answer = client.post(
        link(invited.json["id"]),
        data={"csrf_token": token, "password": PASSWORD, "again": PASSWORD},
    )
    assert answer.status_code == 410
    assert "can no longer" in answer.text
    with service(client).sessions() as session:
        assert (
            session.scalar(select(Coordinator).where(Coordinator.email == "g@example.org")) is None
        )
