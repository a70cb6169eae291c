"""`python -m bench.lists`: a coordinator's list pages at the size of a network of 300 local
groups (100,000 volunteers, 50,000 newcomers, 20,000 proposed matches, on PostgreSQL):
the gateway's API lists and dashboard pages for a coordinator of one group, p50 and p95,
against bare Flask answering the same client in the same run; writes docs/performance.md.

Needs the local PostgreSQL (private databases are made and removed).
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from gateway.config import GatewayConfig
from gateway.entrypoints.web import create_app as create_gateway
from gateway.service_layer import groups, staff
from matching.adapters.models import Match, Newcomer, Volunteer
from matching.config import from_env as matching_env
from matching.entrypoints.web import create_app as create_matching
from sanctuary.migrations import upgrade
from sanctuary.vocabulary import MatchStatus, NewcomerStatus, VolunteerStatus
from sanctuary_dev.processes import serving
from sanctuary_dev.secrets import with_secrets
from sanctuary_dev.servers import DEFAULT_TEST_POSTGRES_URL, private_database
from sqlalchemy import insert

from bench.report import write_section

GROUPS, VOLUNTEERS, NEWCOMERS, MATCHES = 300, 100_000, 50_000, 20_000
CALLS = 200
PASSWORD = "a long enough passphrase"
NOW = datetime.now(UTC)


def _people(
    count: int, group_ids: list[uuid.UUID], status: str, **extra: Any
) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "id": uuid.uuid4(),
            "name": f"Person {i}",
            "postcode": "LS6 1AA",
            "district": "LS6",
            "languages": ["en"],
            "availability": [["sat", "morning"]],
            "interests": [],
            "gender": None,
            "same_gender_only": False,
            "status": status,
            "consented_at": NOW,
            "registered_at": NOW,
            "group_id": group_ids[i % len(group_ids)],
            **extra,
        }


def fill(engine: Any, group_ids: list[uuid.UUID]) -> None:
    """The network's people and matches, written in bulk."""
    volunteers = list(
        _people(
            VOLUNTEERS,
            group_ids,
            VolunteerStatus.APPLIED,
            email="v@example.org",
            max_matches=1,
            references="pending",
            screening="pending",
            training="pending",
            dbs="none",
        )
    )
    newcomers = list(
        _people(
            NEWCOMERS,
            group_ids,
            NewcomerStatus.WAITING,
            email=None,
            referrer_email="w@example.org",
            wants_english_practice=False,
            needs=[],
            needs_dbs=False,
        )
    )
    matches = [
        {
            "id": uuid.uuid4(),
            "volunteer_id": volunteers[i]["id"],
            "newcomer_id": newcomers[i]["id"],
            "status": MatchStatus.PROPOSED,
            "score": 10,
            "explanation": {},
            "reason": None,
            "checkins_sent": [],
            "proposed_at": NOW,
            "approved_at": None,
            "decided_at": None,
            "group_id": newcomers[i]["group_id"],
        }
        for i in range(MATCHES)
    ]
    with engine.begin() as connection:
        for model, rows in ((Volunteer, volunteers), (Newcomer, newcomers), (Match, matches)):
            for start in range(0, len(rows), 5_000):
                connection.execute(insert(model), rows[start : start + 5_000])


def timings(call: Callable[[], Any], calls: int = CALLS) -> tuple[float, float]:
    """p50 and p95 in ms of `calls` calls (after five to warm up)."""
    for _ in range(5):
        call()
    spent = []
    for _ in range(calls):
        started = time.perf_counter()
        answer = call()
        spent.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.status_code
    cuts = statistics.quantiles(spent, n=20)
    return statistics.median(spent), cuts[18]


def bare_flask() -> Any:
    """The baseline: bare Flask answering a small JSON list to the same kind of client."""
    app = Flask("bare")
    app.add_url_rule("/", "bare", lambda: [{"id": i} for i in range(300)])
    return app.test_client()


def signed_in(gateway: Any, email: str) -> Any:
    browser = gateway.application.test_client()
    page = browser.get("/coordinator/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    assert browser.post("/coordinator/login", data=data).status_code == 303
    return browser


def measure(stack: ExitStack) -> dict[str, tuple[float, float]]:
    matching_url = stack.enter_context(private_database(DEFAULT_TEST_POSTGRES_URL, "matching"))
    gateway_url = stack.enter_context(private_database(DEFAULT_TEST_POSTGRES_URL, "gateway"))
    matching_config = matching_env(with_secrets({"MATCHING_DATABASE_URL": matching_url}))
    app = create_matching(matching_config)
    service = app.extensions["service"]
    upgrade(service.migrations, matching_url, service.metadata)
    config = GatewayConfig(
        service="gateway",
        database_url=gateway_url,
        internal_token=matching_config.internal_token,
        matching_url=stack.enter_context(serving(app)),
        cookie_secure=False,
        public_rate_limit="",
    )
    gateway_app = create_gateway(config)
    wired = gateway_app.extensions["service"]
    upgrade(wired.migrations, gateway_url, wired.metadata)
    made = [
        groups.create(
            wired.unit_of_work,
            {"slug": f"g{i}", "name": f"G{i}", "contact": "g@example.org", "areas": [f"A{i}"[:4]]},
        )
        for i in range(GROUPS)
    ]
    fill(service.engine, [g.id for g in made])
    coordinator = staff.create_coordinator(
        wired.unit_of_work, "c@example.org", "C", PASSWORD, groups=["g0"]
    )
    bearer = {
        "Authorization": f"Bearer {staff.issue_token(wired.unit_of_work, coordinator, 'b').token}"
    }
    gateway = gateway_app.test_client()
    browser = signed_in(gateway, "c@example.org")
    return {
        "bare Flask (baseline)": timings(lambda: bare_flask().get("/")),
        "GET /api/v1/volunteers": timings(
            lambda: gateway.get("/api/v1/volunteers", headers=bearer)
        ),
        "GET /api/v1/matches?status=proposed": timings(
            lambda: gateway.get("/api/v1/matches?status=proposed", headers=bearer)
        ),
        "dashboard /coordinator/volunteers": timings(
            lambda: browser.get("/coordinator/volunteers")
        ),
        "dashboard /coordinator/matches": timings(lambda: browser.get("/coordinator/matches")),
    }


def latency_table(rows: dict[str, tuple[float, float]]) -> list[str]:
    """A markdown table of p50 and p95 per call, against the first row (the baseline)."""
    base = next(iter(rows.values()))[0]
    return [
        "| call | p50 ms | p95 ms | p50 vs bare Flask |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / base:.0f}x |"
            for name, (p50, p95) in rows.items()
        ),
        "",
    ]


def main() -> None:
    with ExitStack() as stack:
        rows = measure(stack)
    lines = [
        "## Local groups: a coordinator's lists at network size",
        "",
        "Made by `.venv/bin/python -m bench.lists` (not part of `make test`), which rewrites "
        f"this section. This machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Matching on PostgreSQL holds {VOLUNTEERS:,} "
        f"volunteers, {NEWCOMERS:,} newcomers and {MATCHES:,} proposed matches in {GROUPS} groups; "
        "a coordinator of one group asks, through the gateway (in process, as a test client) and "
        f"matching's internal API (over HTTP), each list {CALLS} times. The baseline is bare "
        "Flask answering the same kind of client in the same run.",
        "",
        *latency_table(rows),
    ]
    section = "\n".join(lines)
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
