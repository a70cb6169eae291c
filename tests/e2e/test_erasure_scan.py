"""End to end: one person who touched everything is erased through the API, and then nothing
of theirs is left anywhere: not in any column of any table of the four databases, not in any
message of any queue. Their subject-access export, taken before, held every row the scan
found then.

Real: `scripts/run` (what `make run` starts) with every process of every service under
sanctuary_dev.procfile, on SQLite files as `make run` uses them and again on PostgreSQL;
RabbitMQ (a private vhost); an SMTP sink.
"""

from __future__ import annotations

import email
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from kombu import Connection
from sanctuary import topology
from sanctuary.config import DEFAULT_RETRY_DELAYS_MS
from sanctuary_dev import mailsink
from sanctuary_dev.messages import publish_raw
from sanctuary_dev.processes import running_system, wait_until
from sanctuary_dev.servers import VhostPool, private_database
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "matching", "events", "notifications")
ADMIN = {"Authorization": "Bearer erasure-probe-admin-token"}
SLOT = [{"day": "sat", "part": "morning"}]
# Distinctive, so that a hit is theirs and not a coincidence.
PERSON = {
    "name": "Zenobia Marchbanks-Quillon",
    "email": "Zenobia.Marchbanks@Erase-Probe.example",
    "postcode": "LS6 3QT",
}
PARTNER = {"name": "Оксана Ткаченко", "email": "oksana.partner@erase-probe.example"}


def needles() -> list[str]:
    """Their name and each long part of it, their email and its local part, their postcode
    with and without its space."""
    name, address, postcode = PERSON["name"], PERSON["email"], PERSON["postcode"]
    local = address.partition("@")[0]
    parts = [p for p in re.split(r"[\s.-]", f"{name} {local}") if len(p) > 4]
    return sorted({name, address, local, postcode, postcode.replace(" ", ""), *parts})


def hits_in(value: Any) -> bool:
    """Whether a stored value holds any needle, as written, lowercased or JSON-escaped."""
    if value is None or isinstance(value, bool | int | float | datetime):
        return False
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        value = json.dumps(value, default=str, ensure_ascii=False)
    lowered = value.lower()
    return any(n.lower() in lowered or json.dumps(n)[1:-1].lower() in lowered for n in needles())


@dataclass
class System:
    gateway: str
    mail: Path
    var: Path
    amqp_url: str
    databases: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def system(
    request: pytest.FixtureRequest,
    vhost_pool: VhostPool,
    postgres_admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[System]:
    """The whole system as `make run` starts it; on PostgreSQL, each service its own database."""
    amqp_url = vhost_pool.take()
    tmp_path = tmp_path_factory.mktemp("erasure")
    var = tmp_path / "var"
    sink = mailsink.start(tmp_path / "mail")
    with ExitStack() as stack:
        databases = {s: f"sqlite:///{var / (s + '.db')}" for s in SERVICES}
        if request.param == "postgresql":
            databases = {
                s: stack.enter_context(private_database(postgres_admin_url, s)) for s in SERVICES
            }
        env = {f"{s.upper()}_DATABASE_URL": url for s, url in databases.items()}
        try:
            gateway = stack.enter_context(
                running_system(
                    ROOT,
                    amqp_url,
                    var,
                    sink.port,
                    WEB_CONCURRENCY="1",
                    ADMIN_TOKEN=ADMIN["Authorization"].split()[1],
                    **env,
                )
            )
            yield System(gateway, tmp_path / "mail", var, amqp_url, databases)
        finally:
            sink.stop()
            vhost_pool.give_back(amqp_url)
            log = var / "run.log"
            print(log.read_text()[-5000:] if log.exists() else "no run.log")


class Gateway:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        answer = requests.request(method, self.base + path, timeout=15, **kwargs)
        assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def status(self, path: str) -> str:
        return str(self.call("GET", path, 200)["status"])


def schedule(gateway: Gateway, kind: str, **extra: Any) -> str:
    starts = datetime.now(UTC) + timedelta(days=3)
    body = {
        "title": f"A {kind} for the erasure test",
        "kind": kind,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 5,
        "location": "The community hall",
        **extra,
    }
    return str(gateway.call("POST", "/api/v1/events", 201, headers=ADMIN, json=body)["id"])


def register(gateway: Gateway, event_id: str, **extra: Any) -> str:
    body = {"name": PERSON["name"], "email": PERSON["email"], "consent": True, **extra}
    place = gateway.call("POST", f"/api/v1/events/{event_id}/registrations", 202, json=body)["id"]
    wait_until(lambda: gateway.status(f"/api/v1/registrations/{place}") == "confirmed", 30)
    return str(place)


def take_part(gateway: Gateway, system: System) -> str:
    """Signed up, checks recorded, trained, matched and approved, registered for two events,
    attended one, emailed, unsubscribed from reminders, a parked message about them."""
    volunteer = gateway.call(
        "POST",
        "/api/v1/volunteers",
        202,
        json={
            **PERSON,
            "languages": ["en", "uk"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
        },
    )["id"]
    wait_until(lambda: gateway.status(f"/api/v1/volunteers/{volunteer}") == "applied", 30)
    checks = {"references": "verified", "screening": "passed"}
    gateway.call("POST", f"/api/v1/volunteers/{volunteer}/checks", 200, headers=ADMIN, json=checks)
    training = schedule(gateway, "training", topic="safeguarding")
    place = register(gateway, training, volunteer_id=volunteer)
    attended = {"registration_ids": [place]}
    gateway.call("POST", f"/api/v1/events/{training}/attendance", 200, headers=ADMIN, json=attended)
    wait_until(lambda: gateway.status(f"/api/v1/volunteers/{volunteer}") == "ready", 30)
    register(gateway, schedule(gateway, "social"))

    asking = {**PARTNER, "postcode": "LS6 2BB", "availability": SLOT, "consent": True}
    asking |= {"languages": ["uk"], "special_consent": True}
    partner = gateway.call("POST", "/api/v1/newcomers", 202, json=asking)
    wait_until(lambda: gateway.status(f"/api/v1/newcomers/{partner['id']}") == "waiting", 30)
    gateway.call("POST", "/api/v1/matching/runs", 200, headers=ADMIN, json={"dry_run": False})
    [match] = gateway.call("GET", "/api/v1/matches?status=proposed", 200, headers=ADMIN)
    gateway.call("POST", f"/api/v1/matches/{match['id']}/approve", 200, headers=ADMIN, json={})

    secret = (system.var / "link-secret").read_text().strip()
    from notifications.domain.links import unsubscribe_token

    token = unsubscribe_token(secret, PERSON["email"], "reminders")
    requests.post(f"{gateway.base}/unsubscribe/{token}", timeout=10).raise_for_status()
    park_a_message(system.amqp_url)
    wait_until(lambda: len(mail_to(system.mail, PERSON["email"])) >= 4, 30)
    return str(volunteer)


def park_a_message(amqp_url: str) -> None:
    """A registration request about them that events cannot load: it is parked."""
    body = json.dumps({"name": PERSON["name"], "email": PERSON["email"], "event_id": "nope"})
    publish_raw(
        amqp_url,
        "registration.requested",
        body,
        message_id="0e4a5e00-0000-4000-8000-00000000dead",
        type="registration.requested",
        content_type="application/json",
        content_encoding="utf-8",
    )
    wait_until(lambda: queue_depth(amqp_url, "sanctuary.events.parked") == 1, 30)


def queue_depth(amqp_url: str, name: str) -> int:
    with Connection(amqp_url) as connection:
        channel = connection.channel()
        try:
            _, count, _ = channel.queue_declare(name, passive=True)
            return int(count)
        finally:
            channel.close()


def mail_to(folder: Path, address: str) -> list[email.message.Message]:
    found = [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
    return [m for m in found if str(m["To"]).lower() == address.lower()]


def scan(system: System) -> Counter[tuple[str, str]]:
    """Rows holding any needle, counted by (service, table), in every table of every database,
    and messages holding one, by (queue, "messages"), in every queue of the topology."""
    found: Counter[tuple[str, str]] = Counter()
    for service, url in system.databases.items():
        engine = create_engine(url)
        try:
            found.update(_scan_database(service, engine))
        finally:
            engine.dispose()
    with Connection(system.amqp_url) as connection:
        for service in topology.SUBSCRIPTIONS:
            queues = topology.service_queues(service, DEFAULT_RETRY_DELAYS_MS)
            for queue in (queues.main, *queues.retries, queues.parked):
                found.update(_scan_queue(connection, queue.name))
    return found


def _scan_database(service: str, engine: Engine) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            if table == "alembic_version":
                continue
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                if any(hits_in(value) for value in row):
                    found[(service, table)] += 1
    return found


def _scan_queue(connection: Connection, name: str) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    channel = connection.channel()
    try:
        try:
            _, count, _ = channel.queue_declare(name, passive=True)
        except Exception:
            return found
        for _ in range(count):
            message = channel.basic_get(name, no_ack=False)
            if message is None:
                break
            if hits_in(message.body) or hits_in(
                dict(message.properties.get("application_headers") or {})
            ):
                found[(name, "messages")] += 1
    finally:
        channel.close()  # every message goes back
    return found


def exported_counts(export: dict[str, Any]) -> Counter[tuple[str, str]]:
    """Rows in the export holding a needle, by (service, table)."""
    counts: Counter[tuple[str, str]] = Counter()
    for service, tables in export["services"].items():
        for table, rows in tables.items():
            counts[(service, table)] += sum(1 for row in rows if hits_in(row))
    return counts


def test_an_erased_person_leaves_nothing_behind(system: System) -> None:
    gateway = Gateway(system.gateway)
    take_part(gateway, system)
    export = gateway.call(
        "POST",
        "/api/v1/subject-access",
        200,
        headers=ADMIN,
        json={"email": PERSON["email"], "reason": "asked by letter"},
    )
    before = scan(system)
    # The scan sees them everywhere they are before: otherwise its silence after means nothing.
    assert {
        ("matching", "volunteers"),
        ("events", "registrations"),
        ("notifications", "deliveries"),
        ("notifications", "people"),
        ("sanctuary.events.parked", "messages"),
    } <= set(before), before
    exported = exported_counts(export)
    for (where, table), rows in before.items():
        if table == "messages":  # a queue: its service exports what waits in it
            if where.count(".") == 1:
                continue  # a service's main queue: in flight, applied within moments
            where, table = where.split(".")[1], "queued_messages"
        assert exported[(where, _exported_table(table))] >= rows, (where, table, exported)

    asked = gateway.call(
        "POST",
        "/api/v1/erasures",
        202,
        headers=ADMIN,
        json={"email": PERSON["email"], "reason": "asked by letter"},
    )
    started = datetime.now(UTC)
    done = wait_until(
        lambda: (
            (m := gateway.call("GET", asked["status_url"], 200, headers=ADMIN))["status"]
            == "complete"
            and m
        ),
        timeout=60,
        interval=0.5,
    )
    assert datetime.now(UTC) - started < timedelta(seconds=60)
    assert {row["service"]: row["status"] for row in done["services"]} == dict.fromkeys(
        SERVICES, "done"
    )
    confirmation = [
        m for m in mail_to(system.mail, PERSON["email"]) if "erase" in str(m["Subject"]).lower()
    ]
    assert confirmation, "the person was not told their data was erased"
    assert scan(system) == Counter()


def _exported_table(table: str) -> str:
    return table
