"""Local groups in the gateway: the registry (network admins write, anyone reads), finding a
postcode's group (the longest area wins), where sign-ups, requests and registrations go,
and the network's own group that `migrate` seeds.

Real: the Flask app on a migrated SQLite file (as `make run` uses), and the gateway's outbox,
where each change is announced.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from gateway.adapters.models import Outbox
from gateway.domain import groups as rules
from gateway.service_layer import staff
from sanctuary.contracts import DEFAULT_GROUP_ID
from sanctuary_dev.secrets import with_secrets
from sqlalchemy import select

ADMIN = {"Authorization": "Bearer test-admin-token"}
SHEFFIELD = {
    "slug": "sheffield",
    "name": "Sheffield City of Sanctuary",
    "contact": "safeguarding@sheffield.example",
    "areas": ["S"],
}
LEEDS = {"slug": "leeds", "name": "Leeds", "contact": "leeds@example.org", "areas": ["LS"]}
SIGN_UP = {
    "name": "Amina",
    "email": "amina@example.org",
    "postcode": "s1 2ab",
    "languages": ["en"],
    "availability": [{"day": "sat", "part": "morning"}],
    "consent": True,
    "special_consent": True,
}


@pytest.fixture
def client(make_app: Callable[..., Any]) -> Any:
    return make_app().test_client()


def outbox(client: Any) -> list[tuple[str, dict[str, Any]]]:
    service = client.application.extensions["service"]
    with service.sessions() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.created_at))
        return [(row.type, json.loads(row.body)) for row in rows]


def coordinator_token(client: Any, **options: Any) -> dict[str, str]:
    service = client.application.extensions["service"]
    email = f"{uuid.uuid4().hex[:8]}@example.org"
    made = staff.create_coordinator(
        service.unit_of_work, email, "C", "a long passphrase", **options
    )
    return {"Authorization": f"Bearer {staff.issue_token(service.unit_of_work, made, 't').token}"}


def test_the_longest_area_a_postcode_starts_with_decides_its_group() -> None:
    """ "S" covers S1 and SW1A unless a longer area is another group's; "*" loses to all."""
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    areas = {"*": a, "S": b, "S1": c}
    assert rules.areas_to_try("S10 2AB") == ("*", "S", "S1", "S10")
    assert rules.covering("S10 2AB", areas) == c  # "S1" is the longest prefix of "S10"
    assert rules.covering("S2 4AB", areas) == b
    assert rules.covering("LS6 1AA", areas) == a
    assert rules.covering("LS6 1AA", {"S": b}) is None
    assert rules.taken_areas(["S", "LS6"], {"S": b, "LS6": a}, a) == ["S"]


def test_a_network_admin_creates_a_group_announced_and_found_from_a_postcode(
    client: Any,
) -> None:
    answer = client.post("/api/v1/groups", json={**SHEFFIELD, "areas": ["s", "s1 "]}, headers=ADMIN)
    assert answer.status_code == 201, answer.json
    assert answer.json["areas"] == ["S", "S1"]
    assert answer.json["timezone"] == "Europe/London"
    [(kind, body)] = outbox(client)
    assert kind == "group.created"
    assert body["slug"] == "sheffield"
    assert body["contact"] == "safeguarding@sheffield.example"
    assert body["sequence"] == 0
    found = client.get("/api/v1/groups/lookup?postcode=s10%202ab")
    assert found.status_code == 200
    assert found.json["slug"] == "sheffield"
    assert [g["slug"] for g in client.get("/api/v1/groups").json] == ["sheffield"]
    assert client.get("/api/v1/groups/sheffield").json["name"] == SHEFFIELD["name"]


def test_a_postcode_no_group_covers_gets_an_honest_404(client: Any) -> None:
    client.post("/api/v1/groups", json=SHEFFIELD, headers=ADMIN)
    answer = client.get("/api/v1/groups/lookup?postcode=LS6%201AA")
    assert answer.status_code == 404
    assert answer.content_type == "application/problem+json"
    assert "no local group in LS6 yet" in answer.json["detail"]
    for query in ("?postcode=nonsense", "", "?postcode="):
        bad = client.get(f"/api/v1/groups/lookup{query}")
        assert bad.status_code == 422, query
        assert bad.json["errors"][0]["field"] == "postcode"


def test_changes_are_announced_with_a_growing_sequence(client: Any) -> None:
    client.post("/api/v1/groups", json=SHEFFIELD, headers=ADMIN)
    answer = client.patch(
        "/api/v1/groups/sheffield",
        json={"contact": "new@sheffield.example", "areas": ["S", "DN"]},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["areas"] == ["DN", "S"]
    kind, body = outbox(client)[-1]
    assert (kind, body["contact"], body["sequence"]) == (
        "group.updated",
        "new@sheffield.example",
        1,
    )
    assert client.get("/api/v1/groups/lookup?postcode=DN1%201AA").json["slug"] == "sheffield"
    assert client.patch("/api/v1/groups/nowhere", json={}, headers=ADMIN).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SHEFFIELD, "slug": "Not A Slug"}, "slug"),
        ({**SHEFFIELD, "contact": "nobody"}, "contact"),
        ({**SHEFFIELD, "areas": ["S1 2AB"]}, "areas"),
        ({**SHEFFIELD, "timezone": "Mars/Olympus"}, "timezone"),
        ({k: v for k, v in SHEFFIELD.items() if k != "contact"}, "contact"),
    ],
)
def test_a_bad_group_is_refused_naming_the_field(client: Any, body: Any, field: str) -> None:
    answer = client.post("/api/v1/groups", json=body, headers=ADMIN)
    assert answer.status_code == 422
    assert field in {e["field"].split(".")[0] for e in answer.json["errors"]}
    assert outbox(client) == []


def test_a_slug_or_an_area_held_by_another_group_is_a_conflict(client: Any) -> None:
    client.post("/api/v1/groups", json=SHEFFIELD, headers=ADMIN)
    again = client.post("/api/v1/groups", json=SHEFFIELD, headers=ADMIN)
    assert again.status_code == 409
    overlap = client.post("/api/v1/groups", json={**LEEDS, "areas": ["LS", "S"]}, headers=ADMIN)
    assert overlap.status_code == 409
    assert "S" in overlap.json["detail"]
    assert len(outbox(client)) == 1


def test_only_network_admins_create_or_change_groups(client: Any) -> None:
    coordinator = coordinator_token(client)
    assert client.post("/api/v1/groups", json=SHEFFIELD).status_code == 401
    assert client.post("/api/v1/groups", json=SHEFFIELD, headers=coordinator).status_code == 403
    admin = coordinator_token(client, network_admin=True)
    assert client.post("/api/v1/groups", json=SHEFFIELD, headers=admin).status_code == 201
    assert client.patch("/api/v1/groups/sheffield", json={}, headers=coordinator).status_code == 403


def test_a_sign_up_goes_to_the_group_it_names_else_to_its_postcodes(client: Any) -> None:
    assert client.post("/api/v1/groups", json=SHEFFIELD, headers=ADMIN).status_code == 201
    assert client.post("/api/v1/groups", json=LEEDS, headers=ADMIN).status_code == 201
    ids = {g["slug"]: g for g in client.get("/api/v1/groups").json}
    assert client.post("/api/v1/volunteers", json=SIGN_UP).status_code == 202
    named = client.post("/api/v1/volunteers", json={**SIGN_UP, "group": "leeds"})
    assert named.status_code == 202
    nowhere = client.post("/api/v1/newcomers", json={**SIGN_UP, "postcode": "EH1 1AA"})
    assert nowhere.status_code == 202
    unknown = client.post("/api/v1/volunteers", json={**SIGN_UP, "group": "york"})
    assert unknown.status_code == 422
    assert unknown.json["errors"][0]["field"] == "group"
    people = [body for kind, body in outbox(client) if not kind.startswith("group.")]
    service = client.application.extensions["service"]
    with service.sessions() as session:
        from gateway.adapters.models import Group

        by_slug = {g.slug: str(g.id) for g in session.scalars(select(Group))}
    assert ids.keys() == by_slug.keys()
    assert [p["group_id"] for p in people] == [by_slug["sheffield"], by_slug["leeds"], None]


def test_migrate_seeds_the_networks_group_once_and_says_how_to_set_its_contact(
    tmp_path: Any,
) -> None:
    env = with_secrets(
        {"GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "PATH": "/usr/bin:/bin"}
    )
    run = [sys.executable, "-m", "gateway", "migrate"]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert "created the network's group network" in first.stderr
    assert "set DEFAULT_GROUP_CONTACT" in first.stderr
    configured = {**env, "DEFAULT_GROUP_CONTACT": "hello@network.example"}
    second = subprocess.run(run, env=configured, capture_output=True, text=True, check=True)
    assert "created" not in second.stderr  # seeded once: a setting changed later does not
    assert "set DEFAULT_GROUP_CONTACT" in second.stderr  # ... so it still says how
    from sqlalchemy import create_engine

    engine = create_engine(env["GATEWAY_DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT type, body FROM outbox").all()
    engine.dispose()
    [(kind, body)] = rows
    body = json.loads(body)
    assert kind == "group.created"
    assert body["group_id"] == str(DEFAULT_GROUP_ID)
    assert body["network"] is True
    assert body["contact"] == "contact@localhost"


def coordinators_after_migrating(url: str) -> list[tuple[str, bool]]:
    """Migrate to 0002, store a coordinator, migrate to the newest revision."""
    from alembic import command
    from gateway.bootstrap import bootstrap
    from gateway.config import GatewayConfig
    from sanctuary.db import make_engine
    from sanctuary.migrations import alembic_config

    wired = bootstrap(GatewayConfig(service="gateway", database_url=url))
    config = alembic_config(wired.migrations, url, wired.metadata)
    engine = make_engine(url)
    try:
        command.upgrade(config, "0002")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO coordinators (id, email, display_name, password_hash, active,"
                " created_at) VALUES ('0123456789abcdef0123456789abcdef', 'old@example.org',"
                " 'Old', 'x', true, '2026-11-01 00:00:00')"
            )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT email, network_admin FROM coordinators")
            return [(email, bool(admin)) for email, admin in rows]
    finally:
        engine.dispose()
        wired.engine.dispose()


def test_coordinators_from_before_groups_become_network_admins(tmp_path: Any) -> None:
    """They saw everyone before groups: after the upgrade they still do (ADR 0024)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert coordinators_after_migrating(url) == [("old@example.org", True)]


@pytest.mark.integration
def test_coordinators_from_before_groups_become_network_admins_on_postgresql(
    make_database: Callable[[str], str],
) -> None:
    assert coordinators_after_migrating(make_database("gateway")) == [("old@example.org", True)]
