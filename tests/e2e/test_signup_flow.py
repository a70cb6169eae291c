"""End to end: `scripts/run` (what `make run` starts) with every real process, HTTP in, email out.

Real: every process of every service under sanctuary_dev.procfile, gunicorn for the web
processes, RabbitMQ (a private vhost), SQLite files (as `make run` uses), and an SMTP server
(aiosmtpd) that the test reads mail from.
"""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sanctuary_dev import mailsink
from sanctuary_dev.processes import running_system, wait_until
from sanctuary_dev.servers import VhostPool

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class System:
    """The running system: where the gateway answers and where mail lands."""

    gateway: str
    mail: Path
    log: Path


@pytest.fixture(scope="module")
def system(vhost_pool: VhostPool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system started by scripts/run, stopped with Ctrl-C (SIGINT) afterwards; one
    for this module's tests (each starts 16 processes)."""
    amqp_url = vhost_pool.take()
    tmp_path = tmp_path_factory.mktemp("system")
    sink = mailsink.start(tmp_path / "mail")
    try:
        with running_system(
            ROOT, amqp_url, tmp_path / "var", sink.port, WEB_CONCURRENCY="1"
        ) as gateway:
            yield System(gateway, tmp_path / "mail", tmp_path / "var" / "run.log")
    finally:
        sink.stop()
        vhost_pool.give_back(amqp_url)
        log = tmp_path / "var" / "run.log"
        print(log.read_text()[-5000:] if log.exists() else "no run.log")


def welcome_emails_to(folder: Path, address: str) -> list[email.message.Message]:
    messages = [email.message_from_bytes(p.read_bytes()) for p in folder.glob("*.eml")]
    return [m for m in messages if m["To"] == address]


def test_a_volunteer_signs_up_and_receives_a_welcome_email(system: System) -> None:
    """POST at the gateway; matching records them; notifications emails them over SMTP."""
    address = "amina.e2e@example.org"
    answer = requests.post(
        f"{system.gateway}/api/v1/volunteers",
        timeout=5,
        json={
            "name": "Amina",
            "email": address,
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "availability": [{"day": "sat", "part": "morning"}],
            "consent": True,
            "special_consent": True,
        },
        headers={"Idempotency-Key": "e2e-1"},
    )
    assert answer.status_code == 202
    assert answer.headers["Location"] == answer.json()["status_url"]
    [welcome] = wait_until(lambda: welcome_emails_to(system.mail, address), timeout=30)
    assert "Welcome" in welcome["Subject"]
    # Emailed links lead to this gateway, on the port it was given (PUBLIC_BASE_URL unset);
    # the browser tests open them as they come.
    port = urlsplit(system.gateway).port
    assert f"The links in emails lead to http://localhost:{port} " in system.log.read_text()
    status = requests.get(system.gateway + answer.json()["status_url"], timeout=5).json()
    assert status == {
        "id": answer.json()["id"],
        "reference": answer.json()["reference"],
        "status": "applied",
        "group": "network",
    }
    again = requests.post(
        f"{system.gateway}/api/v1/volunteers",
        timeout=5,
        json={
            "name": "Amina",
            "email": address,
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "availability": [{"day": "sat", "part": "morning"}],
            "consent": True,
            "special_consent": True,
        },
        headers={"Idempotency-Key": "e2e-1"},
    )
    assert again.json() == answer.json()
    # One correlation id follows the sign-up through the three services' logs.
    correlation_id = answer.headers["X-Correlation-ID"]
    wait_until(
        lambda: (
            services_logging(system.log, correlation_id) >= {"gateway", "matching", "notifications"}
        )
    )


def services_logging(log: Path, correlation_id: str) -> set[str]:
    """Which services wrote a JSON log line carrying `correlation_id`."""
    found = set()
    for line in log.read_text().splitlines():
        _, _, payload = line.partition("| ")
        if correlation_id in payload and payload.startswith("{"):
            found.add(json.loads(payload)["service"])
    return found


def test_the_gateway_serves_its_openapi_document(system: System) -> None:
    """The API description a client generator or a reviewer reads."""
    document = requests.get(f"{system.gateway}/api/openapi.json", timeout=5).json()
    assert "/api/v1/volunteers" in document["paths"]
    assert "post" in document["paths"]["/api/v1/volunteers"]


def test_two_local_groups_each_sign_their_own_peoples_emails(system: System) -> None:
    """Two groups made through the API; a sign-up in each area (found by its postcode) is
    welcomed by its own group: its name, its contact in the text and as Reply-To. A
    postcode neither covers falls to the network's own group, which `make run` seeded."""
    # scripts/run made the bootstrap coordinator token and keeps it in var/.
    token = (system.log.parent / "admin-token").read_text().strip()
    admin = {"Authorization": f"Bearer {token}"}
    for slug, area in (("york", "YO"), ("hull", "HU")):
        body = {"slug": slug, "name": f"{slug.title()} Sanctuary", "areas": [area]}
        made = requests.post(
            f"{system.gateway}/api/v1/groups",
            json={**body, "contact": f"{slug}@example.org"},
            headers=admin,
            timeout=5,
        )
        assert made.status_code == 201, made.text
    found = requests.get(f"{system.gateway}/api/v1/groups/lookup?postcode=yo1%207hh", timeout=5)
    assert found.json()["slug"] == "york"
    people = {"york": "YO1 7HH", "hull": "HU1 1AA", "network": "EH1 1AA"}
    for slug, postcode in people.items():
        answer = requests.post(
            f"{system.gateway}/api/v1/volunteers",
            json={
                "name": "Sam",
                "email": f"sam.{slug}@example.org",
                "postcode": postcode,
                "languages": ["en"],
                "availability": [{"day": "sat", "part": "morning"}],
                "consent": True,
                "special_consent": True,
            },
            timeout=5,
        )
        assert answer.status_code == 202, answer.text
    for slug, signed_by, contact in (
        ("york", "York Sanctuary", "york@example.org"),
        ("hull", "Hull Sanctuary", "hull@example.org"),
        ("network", "Sanctuary Network", "contact@localhost"),
    ):
        [welcome] = wait_until(
            lambda s=slug: welcome_emails_to(system.mail, f"sam.{s}@example.org"), timeout=30
        )
        assert welcome["Reply-To"] == contact
        assert signed_by in welcome["From"]
        text = next(p for p in welcome.walk() if p.get_content_type() == "text/plain")
        assert contact in text.get_payload(decode=True).decode()


def test_a_person_sees_and_erases_their_own_data_from_an_emailed_link(system: System) -> None:
    """Asked at /my-data, the link arrives by email (and nothing for an address we do not
    hold, with the same answer); the link shows what is held, corrects and pauses it, and
    erases it everywhere; the last email confirms it; the link is dead afterwards."""
    address = "Farah.Own@example.org"
    signup = {
        "name": "Farah Own",
        "email": address,
        "postcode": "LS6 1AA",
        "languages": ["en", "ar"],
        "availability": [{"day": "sat", "part": "morning"}],
        "consent": True,
        "special_consent": True,
    }
    asked = requests.post(f"{system.gateway}/api/v1/volunteers", json=signup, timeout=5)
    assert asked.status_code == 202
    wait_until(lambda: mails_to(system.mail, address.lower()), timeout=30)
    answers = [
        requests.post(f"{system.gateway}/api/v1/my-data/requests", json={"email": e}, timeout=5)
        for e in (address, "nobody.here@example.org")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    [link] = wait_until(lambda: links_in(system.mail, address.lower(), "/my-data/"), timeout=30)
    token = link.rsplit("/", 1)[1]
    held = requests.get(f"{system.gateway}/api/v1/my-data/{token}", timeout=10).json()
    [volunteer] = held["services"]["matching"]["volunteers"]
    assert volunteer["name"] == "Farah Own"
    # They correct their postcode, stop reminders and pause: matching and notifications
    # apply it, and the same link shows it.
    change = {"postcode": "BD1 1AA", "paused": True, "emails": {"reminders": False}}
    changed = requests.patch(f"{system.gateway}/api/v1/my-data/{token}", json=change, timeout=10)
    assert changed.status_code == 202, changed.text

    def applied() -> dict[str, object] | None:
        now = requests.get(f"{system.gateway}/api/v1/my-data/{token}", timeout=10).json()
        [row] = now["services"]["matching"]["volunteers"]
        stopped = now["services"]["notifications"]["unsubscribes"]
        return now if row["postcode"] == "BD1 1AA" and row["paused_at"] and stopped else None

    after = wait_until(applied, timeout=30, interval=0.5)
    [row] = after["services"]["matching"]["volunteers"]
    assert (row["district"], row["name"]) == ("BD1", "Farah Own")
    assert [u["category"] for u in after["services"]["notifications"]["unsubscribes"]] == [
        "reminders"
    ]
    erased = requests.post(
        f"{system.gateway}/api/v1/my-data/{token}/erasure", json={"understood": True}, timeout=10
    )
    assert erased.status_code == 202, erased.text
    status_url = system.gateway + erased.json()["status_url"]
    wait_until(lambda: requests.get(status_url, timeout=5).json()["status"] == "complete", 60)
    subjects = [str(m["Subject"]) for m in mails_to(system.mail, address.lower())]
    assert any("erased" in s.lower() for s in subjects), subjects
    assert requests.get(f"{system.gateway}/api/v1/my-data/{token}", timeout=5).status_code == 404
    assert not links_in(system.mail, "nobody.here@example.org", "/my-data/")


def mails_to(folder: Path, address: str) -> list[email.message.Message]:
    messages = [email.message_from_bytes(p.read_bytes()) for p in folder.glob("*.eml")]
    return [m for m in messages if str(m["To"]).lower() == address]


def links_in(folder: Path, address: str, path: str) -> list[str]:
    """The links to `path` in the text of the emails to `address`."""
    import re

    found = []
    for message in mails_to(folder, address):
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode()
                found += re.findall(rf"https?://\S+{re.escape(path)}\S+", text)
    return found


def test_only_its_own_user_reads_what_the_system_keeps(system: System) -> None:
    """var/ holds the secrets, the databases (names, addresses) and the run log: 0700 and
    0600, nothing for the group or anyone else (issue 16, point 7)."""
    import stat

    var = system.log.parent
    wait_until(lambda: list(var.glob("*.db")), timeout=30)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    kept = [p for p in var.rglob("*")]
    assert {p.name for p in kept} >= {"internal-token", "link-secret", "run.log"}
    open_to_others = [
        (str(p.relative_to(var)), oct(stat.S_IMODE(p.stat().st_mode)))
        for p in kept
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert open_to_others == []
