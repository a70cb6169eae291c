"""End to end: no name, email or phone number reaches any log line of any process.

Real: `scripts/run` (what `make run` starts) with every process of every service under
sanctuary_dev.procfile, gunicorn for the web processes, RabbitMQ (a private vhost), SQLite
files, and an SMTP sink. Every process logs at DEBUG; the runner gathers their stdout and
stderr into one file, which the test reads after Ctrl-C has stopped them all.
"""

from __future__ import annotations

import email
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import requests
from sanctuary_dev import mailsink
from sanctuary_dev.messages import publish_raw
from sanctuary_dev.processes import running_system, wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"Authorization": "Bearer pii-probe-admin-token-0"}
SLOT = [{"day": "sat", "part": "morning"}]

# Distinctive, so that any hit in a log is a leak and not a coincidence; mixed case, so
# that a lowercased copy (as an email is often stored) is looked for too.
VOLUNTEER = {"name": "Zephyrine Quillfeather", "email": "Zephyrine.Quillfeather@PII-probe.example"}
NEWCOMER = {"name": "Мирослава Тюльпанова", "email": "Myroslava.Tulpanova@pii-probe.example"}
REFERRED = {"name": "نور الهدى Farrowmere", "referrer": "Caseworker.Brightwater@Aid-Probe.example"}
GUEST = {"name": "Wilhelmina Okonkwo-Patterdale", "email": "W.Patterdale@pii-probe.example"}
ON_THE_FORM = {"name": "Ottoline Vanderquist", "email": "Ottoline.Vanderquist@PII-probe.example"}
PHONES = ["07700 900461", "07700900461", "+44 7700 900982", "+447700900982"]
# A newcomer who gives a phone and no email (ADR 0039): as typed, and as it travels (E.164).
CALLED = {"name": "Tesfalem Wubneshwork", "phone": "0113 496 0461"}
PHONES += [CALLED["phone"], "01134960461", "+441134960461", "1134960461"]
PEOPLE = [VOLUNTEER, NEWCOMER, REFERRED, GUEST, ON_THE_FORM, {"name": CALLED["name"]}]


def needles() -> list[str]:
    """Every name and each part of it, every email and its local part (and the parts of
    that), every phone number."""
    found = set(PHONES)
    for person in PEOPLE:
        for value in person.values():
            local = value.partition("@")[0]
            parts = re.split(r"[\s.-]", local)
            found |= {value, local, *(part for part in parts if len(part) > 3)}
    return sorted(found)


def leaks(text: str) -> list[str]:
    """The needles found in `text`, as written, lowercased or JSON-escaped (non-ASCII)."""
    lowered = text.lower()
    hits = []
    for needle in needles():
        forms = {needle.lower(), json.dumps(needle)[1:-1].lower()}
        hits.extend(needle for form in forms if form in lowered)
    return sorted(set(hits))


class Gateway:
    """A client of the running gateway that remembers every correlation id it was given."""

    def __init__(self, base: str) -> None:
        self.base = base
        # The correlation ids of the submissions accepted (202): each travels through logs.
        self.correlation_ids: list[str] = []

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        answer = requests.request(method, self.base + path, timeout=10, **kwargs)
        assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        if expect == 202:
            self.correlation_ids.append(answer.headers["X-Correlation-ID"])
        return answer.json() if answer.content else None

    def status(self, path: str) -> str:
        return str(self.call("GET", path, 200)["status"])


def emails(folder: Path) -> list[Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def words(message: Message) -> str:
    """An email's headers and its text parts decoded (a part with an en dash or Arabic goes
    in base64, where no name can be read as it is)."""
    parts = [
        part.get_payload(decode=True).decode(part.get_content_charset() or "ascii")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    ]
    return "\n".join([str(message.items()), *parts])


def recipients(folder: Path) -> list[str]:
    return [str(m["To"]).lower() for m in emails(folder)]


def schedule(gateway: Gateway, kind: str, **extra: Any) -> str:
    starts = datetime.now(UTC) + timedelta(days=3)
    event = gateway.call(
        "POST",
        "/api/v1/events",
        201,
        headers=ADMIN,
        json={
            "title": f"A {kind} for the log test",
            "kind": kind,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 1,
            "location": "The community hall",
            **extra,
        },
    )
    return str(event["id"])


def register(gateway: Gateway, event_id: str, name: str, address: str, **extra: Any) -> str:
    body = {"name": name, "email": address, "consent": True, **extra}
    answer = gateway.call("POST", f"/api/v1/events/{event_id}/registrations", 202, json=body)
    return str(answer["id"])


def use_the_forms(base: str) -> None:
    """A newcomer asks on the Arabic page; a volunteer's form is refused (422, which shows
    what was typed back to them)."""
    browser = requests.Session()

    def fill(path: str, answers: dict[str, Any], expect: int) -> requests.Response:
        page = browser.get(base + path, headers={"Accept-Language": "ar"}, timeout=10)
        hidden = dict(re.findall(r'name="(csrf_token|form_key)" value="([^"]+)"', page.text))
        answer = browser.post(base + path, data={**hidden, **answers}, timeout=10)
        assert answer.status_code == expect, (path, answer.status_code)
        return answer

    asked = fill(
        "/befriender",
        {
            **ON_THE_FORM,
            # Far away and in a language no volunteer here speaks: not matched, so the one
            # proposal below stays the volunteer and the newcomer of the API.
            "postcode": "LS99 9ZY",
            "languages": "ti",
            "availability": "sat-morning",
            "consent": "yes",
            "special_consent": "yes",
        },
        200,
    )
    assert "/befriender/thanks/" in asked.url
    refused = fill("/volunteer", {**ON_THE_FORM, "postcode": PHONES[3]}, 422)
    assert ON_THE_FORM["name"] in refused.text


def take_part(gateway: Gateway, mail: Path) -> None:
    """Sign-ups, requests, a training, a match and a full event, as people would."""
    use_the_forms(gateway.base)
    volunteer = gateway.call(
        "POST",
        "/api/v1/volunteers",
        202,
        json={
            **VOLUNTEER,
            "postcode": "LS6 1AA",
            "languages": ["en", "uk", "ar"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
        },
    )["id"]
    newcomer = {"postcode": "LS6 2BB", "availability": SLOT, "consent": True}
    newcomer |= {"special_consent": True}
    asking = gateway.call(
        "POST", "/api/v1/newcomers", 202, json={**NEWCOMER, **newcomer, "languages": ["uk"]}
    )["id"]
    gateway.call(
        "POST",
        "/api/v1/newcomers",
        202,
        json={
            "name": REFERRED["name"],
            "referrer_email": REFERRED["referrer"],
            **newcomer,
            "postcode": "LS99 9ZZ",
            "languages": ["ti"],
            "special_consent": True,
        },
    )
    far = {"postcode": "LS99 9ZX", "languages": ["ti"]}  # not matched: one proposal below
    gateway.call("POST", "/api/v1/newcomers", 202, json={**CALLED, **newcomer, **far})
    # Refused input quoting personal data: the 422 must not carry it into a log either.
    refused = {**GUEST, "phone": PHONES[0], "postcode": PHONES[2], "consent": True}
    gateway.call("POST", "/api/v1/volunteers", 422, json=refused)
    gateway.call("POST", "/api/v1/newcomers", 422, json={**refused, "email": PHONES[1]})

    wait_until(lambda: gateway.status(f"/api/v1/volunteers/{volunteer}") == "applied", 30)
    checks = {"references": "verified", "screening": "passed"}
    gateway.call("POST", f"/api/v1/volunteers/{volunteer}/checks", 200, headers=ADMIN, json=checks)
    training = schedule(gateway, "training", topic="safeguarding")
    place = register(gateway, training, volunteer_id=volunteer, **as_registrant(VOLUNTEER))
    wait_until(lambda: gateway.status(f"/api/v1/registrations/{place}") == "confirmed", 30)
    attended = {"registration_ids": [place]}
    gateway.call("POST", f"/api/v1/events/{training}/attendance", 200, headers=ADMIN, json=attended)
    wait_until(lambda: gateway.status(f"/api/v1/volunteers/{volunteer}") == "ready", 30)

    wait_until(lambda: gateway.status(f"/api/v1/newcomers/{asking}") == "waiting", 30)
    gateway.call("POST", "/api/v1/matching/runs", 200, headers=ADMIN, json={"dry_run": False})
    # A coordinator reads personal data: the answers carry it, the logs must not.
    gateway.call("GET", "/api/v1/volunteers", 200, headers=ADMIN)
    [match] = gateway.call("GET", "/api/v1/matches?status=proposed", 200, headers=ADMIN)
    gateway.call("POST", f"/api/v1/matches/{match['id']}/approve", 200, headers=ADMIN, json={})

    social = schedule(gateway, "social")
    first = register(gateway, social, **as_registrant(NEWCOMER))
    wait_until(lambda: gateway.status(f"/api/v1/registrations/{first}") == "confirmed", 30)
    waiting = register(gateway, social, **as_registrant(GUEST))
    wait_until(lambda: gateway.status(f"/api/v1/registrations/{waiting}") == "waitlisted", 30)
    gateway.call("GET", f"/api/v1/events/{social}/registrations", 200, headers=ADMIN)
    token = cancel_token(wait_until(lambda: mail_to(mail, NEWCOMER["email"], first), 30))
    gateway.call("POST", f"/api/v1/registrations/{first}/cancel", 200, json={"token": token})
    wait_until(lambda: gateway.status(f"/api/v1/registrations/{waiting}") == "confirmed", 30)


def as_registrant(person: dict[str, str]) -> dict[str, str]:
    return {"name": person["name"], "address": person["email"]}


def mail_to(folder: Path, address: str, mentioning: str) -> str:
    """The text of an email to `address` that mentions `mentioning`, or ''."""
    for message in emails(folder):
        if str(message["To"]).lower() == address.lower():
            text = "".join(
                str(part.get_payload(decode=True).decode())
                for part in message.walk()
                if part.get_content_type() == "text/plain"
            )
            if mentioning in text:
                return text
    return ""


def cancel_token(text: str) -> str:
    return re.search(r"/cancel\?token=([\w.-]+)", text).group(1)  # type: ignore[union-attr]


def send_bad_messages(amqp_url: str) -> list[str]:
    """Messages the matching worker must park, full of personal data; their ids."""
    person = {**VOLUNTEER, "postcode": PHONES[0], "languages": ["en"], "phone": PHONES[2]}
    bodies = {
        "5d0c0f84-0000-4000-8000-0000000a11ce": json.dumps({**person, "volunteer_id": "x"}),
        "5d0c0f84-0000-4000-8000-0000000b0b00": "{not JSON " + json.dumps(person),
    }
    for message_id, body in bodies.items():
        publish_raw(
            amqp_url,
            "volunteer.signed_up",
            body,
            message_id=message_id,
            type="volunteer.signed_up",
            content_type="application/json",
            content_encoding="utf-8",
        )
    return list(bodies)


def processes_logging(log: str) -> set[str]:
    """The Procfile processes that wrote a JSON log line (the runner prefixes "name.1 | ")."""
    found = re.findall(r"^\S+ ([a-z-]+)\.\d+\s*\| \{", log, flags=re.MULTILINE)
    return set(found)


def test_no_process_logs_a_name_an_email_or_a_phone_number(amqp_url: str, tmp_path: Path) -> None:
    """Sign-ups, requests, a match, event places and messages that are parked; then every
    line of every process."""
    var = tmp_path / "var"
    mail = var / "mail"  # no SMTP_HOST: scripts/run starts its own sink, logged like the rest
    expected = {
        VOLUNTEER["email"].lower(): 3,  # welcome, training place, introduction
        NEWCOMER["email"].lower(): 4,  # request received, introduction, place, cancelled
        REFERRED["referrer"].lower(): 1,  # request received
        GUEST["email"].lower(): 2,  # waiting list, then a place
        ON_THE_FORM["email"].lower(): 1,  # request received
    }

    def all_sent() -> bool:
        got = recipients(mail)
        return all(got.count(address) >= n for address, n in expected.items())

    with running_system(
        ROOT,
        amqp_url,
        var,
        mailsink.free_port(),
        SMTP_HOST="",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="DEBUG",
        COOKIE_SECURE="false",  # the forms' session cookie, over plain HTTP
        ADMIN_TOKEN=ADMIN["Authorization"].removeprefix("Bearer "),
    ) as base:
        gateway = Gateway(base)
        take_part(gateway, mail)
        wait_until(all_sent, timeout=60)
        parked = send_bad_messages(amqp_url)
        wait_until(lambda: all(m in (var / "run.log").read_text() for m in parked), timeout=30)
    log = (var / "run.log").read_text()  # read once every process has stopped and flushed

    # The check means something: people's details went through, and every process logged.
    everything = "\n".join(words(m) for m in emails(mail))
    assert {VOLUNTEER["name"], GUEST["name"]} <= set(leaks(everything))
    assert '"level": "DEBUG"' in log
    assert all(cid in log for cid in gateway.correlation_ids), "a submission left no log line"
    assert processes_logging(log) >= {
        "gateway-web",
        "matching-background",  # its worker, relay and clock, as `make run` runs them
        "notifications-background",
    }
    assert "mailsink.1" in log
    assert leaks(log) == [], [line for line in log.splitlines() if leaks(line)][:10]
