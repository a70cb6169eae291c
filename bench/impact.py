"""`python -m bench.impact`: the impact report of a network of 300 local groups over a year of
history (sanctuary_dev.impact_history: about the people of the local-groups benchmark, on
PostgreSQL), through the gateway: the API for the whole network with every group side by
side, for one group, and the dashboard's Impact page with its charts; p50 and p95 against
bare Flask answering the same client in the same run; writes docs/performance.md.

Needs the local PostgreSQL (private databases are made and removed).
"""

from __future__ import annotations

import os
import platform
from contextlib import ExitStack
from datetime import UTC, date, datetime
from typing import Any

from events.entrypoints.web import create_app as create_events
from gateway.config import GatewayConfig
from gateway.entrypoints.web import create_app as create_gateway
from gateway.service_layer import groups, staff
from matching.entrypoints.web import create_app as create_matching
from notifications.entrypoints.web import create_app as create_notifications
from sanctuary.migrations import upgrade
from sanctuary_dev.impact_history import history
from sanctuary_dev.processes import serving
from sanctuary_dev.secrets import with_secrets
from sanctuary_dev.servers import DEFAULT_TEST_POSTGRES_URL, private_database
from sqlalchemy import insert, text

from bench.lists import PASSWORD, bare_flask, latency_table, signed_in, timings
from bench.report import write_section

GROUPS = 300
CALLS = 30
FIRST, DAYS = date(2025, 12, 1), 365
YEAR = f"from={FIRST}&to=2026-11-30"
SERVICES = {
    "matching": create_matching,
    "events": create_events,
    "notifications": create_notifications,
}


def fill(app: Any, rows: list[dict[str, Any]]) -> None:
    """A service's tallies, written in bulk, then analysed."""
    service = app.extensions["service"]
    table = service.metadata.tables["tallies"]
    with service.engine.begin() as connection:
        for start in range(0, len(rows), 10_000):
            connection.execute(insert(table), rows[start : start + 10_000])
    with service.engine.connect() as connection:
        # What autovacuum does as a year of tallies grows: without statistics, the planner
        # guesses and the sums take twice as long.
        connection.execute(text("ANALYZE tallies"))
        connection.commit()


def services(stack: ExitStack) -> tuple[dict[str, Any], dict[str, str], str]:
    """Matching, events and notifications, each on its own migrated PostgreSQL database and
    serving its internal API: the apps, the gateway's `<name>_url` settings, the token."""
    from importlib import import_module

    apps, urls, token = {}, {}, ""
    for name, create in SERVICES.items():
        database = stack.enter_context(private_database(DEFAULT_TEST_POSTGRES_URL, name))
        config = import_module(f"{name}.config").from_env(
            with_secrets({f"{name.upper()}_DATABASE_URL": database})
        )
        app = create(config)
        service = app.extensions["service"]
        upgrade(service.migrations, database, service.metadata)
        apps[name], urls[f"{name}_url"] = app, stack.enter_context(serving(app))
        token = config.internal_token
    return apps, urls, token


def setup(stack: ExitStack) -> tuple[Any, dict[str, str], Any, Any, int]:
    """The three services and the gateway on PostgreSQL, the history written: the gateway's
    client, a network admin's bearer header, a network admin's and a group coordinator's
    signed-in browsers, and how many tally rows were written."""
    apps, urls, token = services(stack)
    written = 0
    gateway_url = stack.enter_context(private_database(DEFAULT_TEST_POSTGRES_URL, "gateway"))
    gateway_app = create_gateway(
        GatewayConfig(
            service="gateway",
            database_url=gateway_url,
            internal_token=token,
            cookie_secure=False,
            public_rate_limit="",
            **urls,
        )
    )
    wired = gateway_app.extensions["service"]
    upgrade(wired.migrations, gateway_url, wired.metadata)
    made = [
        groups.create(
            wired.unit_of_work,
            {"slug": f"g{i}", "name": f"Group {i}", "contact": "g@example.org", "areas": []},
        )
        for i in range(GROUPS)
    ]
    tallies = history([g.id for g in made], FIRST, DAYS)
    for name, app in apps.items():
        rows = tallies.rows(name)
        fill(app, rows)
        written += len(rows)
    admin = staff.create_coordinator(
        wired.unit_of_work, "a@example.org", "A", PASSWORD, network_admin=True
    )
    staff.create_coordinator(wired.unit_of_work, "c@example.org", "C", PASSWORD, groups=["g0"])
    issued = staff.issue_token(wired.unit_of_work, admin, "b")
    bearer = {"Authorization": f"Bearer {issued.token}"}
    gateway = gateway_app.test_client()
    network_admin, coordinator = (
        signed_in(gateway, "a@example.org"),
        signed_in(gateway, "c@example.org"),
    )
    return gateway, bearer, network_admin, coordinator, written


def measure(stack: ExitStack) -> tuple[dict[str, tuple[float, float]], int]:
    gateway, bearer, network_admin, coordinator, written = setup(stack)
    return {
        "bare Flask (baseline)": timings(lambda: bare_flask().get("/"), CALLS),
        "GET /api/v1/reports: the network, 300 groups side by side": timings(
            lambda: gateway.get(f"/api/v1/reports?{YEAR}", headers=bearer), CALLS
        ),
        "GET /api/v1/reports?group=g0": timings(
            lambda: gateway.get(f"/api/v1/reports?group=g0&{YEAR}", headers=bearer), CALLS
        ),
        "dashboard /coordinator/impact: the network, with charts": timings(
            lambda: network_admin.get(f"/coordinator/impact?{YEAR}"), CALLS
        ),
        "dashboard /coordinator/impact: one group's coordinator": timings(
            lambda: coordinator.get(f"/coordinator/impact?{YEAR}"), CALLS
        ),
    }, written


def main() -> None:
    with ExitStack() as stack:
        rows, written = measure(stack)
    lines = [
        "## Impact report: a network of 300 groups over a year",
        "",
        "Made by `.venv/bin/python -m bench.impact` (not part of `make test`), which rewrites "
        f"this section. This machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Matching, events and notifications on "
        f"PostgreSQL hold {written:,} tally rows: a year of made-up history of {GROUPS} groups "
        "(`devtools/sanctuary_dev/impact_history.py`, seeded; about the people of the "
        "local-groups benchmark). "
        "The gateway (in process, as a test client) asks the three internal APIs (over HTTP) "
        f"at once; each call is made {CALLS} times. The baseline is bare Flask answering the same "
        "kind of client in the same run. Goal: the report in under a second.",
        "",
        *latency_table(rows),
    ]
    section = "\n".join(lines)
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
