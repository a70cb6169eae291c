"""A coordinator signs in, runs the matcher, approves the proposed match, and both people get
their introduction email; in headless Chromium against the whole running system."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from email.message import Message
from typing import Any

import requests
from playwright.sync_api import expect
from sanctuary import references
from sanctuary_dev.processes import wait_until

SLOT = [{"day": "sat", "part": "morning"}]


def api(system: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {system.admin_token}"}
    return requests.request(method, system.url(path), headers=headers, timeout=10, **kwargs)


def status_of(system: Any, kind: str, ident: str) -> str:
    return str(requests.get(system.url(f"/api/v1/{kind}/{ident}"), timeout=10).json()["status"])


def a_ready_volunteer_and_a_waiting_newcomer(system: Any, tag: str) -> tuple[str, str]:
    """Both signed up through the public API; the volunteer's checks all done."""
    volunteer = requests.post(
        system.url("/api/v1/volunteers"),
        json={
            "name": "Sam Carter",
            "email": f"sam-{tag}@example.org",
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
        },
        timeout=10,
    ).json()["id"]
    newcomer = requests.post(
        system.url("/api/v1/newcomers"),
        json={
            "name": "Yonas Haile",
            "email": f"yonas-{tag}@example.org",
            "postcode": "LS6 2BB",
            "languages": ["ar"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
        },
        timeout=10,
    ).json()["id"]
    wait_until(lambda: status_of(system, "volunteers", volunteer) == "applied", timeout=30)
    checks = {"references": "verified", "screening": "passed", "dbs": "held"}
    answer = api(system, "POST", f"/api/v1/volunteers/{volunteer}/checks", json=checks)
    assert answer.status_code == 200, answer.text
    answer = api(
        system, "POST", f"/api/v1/volunteers/{volunteer}/checks", json={"training": "completed"}
    )
    assert answer.status_code == 200, answer.text
    assert status_of(system, "volunteers", volunteer) == "ready"
    wait_until(lambda: status_of(system, "newcomers", newcomer) == "waiting", timeout=30)
    return volunteer, newcomer


def test_a_coordinator_signs_in_and_approves_a_proposed_match(
    system: Any,
    page: Any,
    screenshot: Callable[[Any, str], Any],
    emails_to: Callable[..., list[Message]],
) -> None:
    tag = uuid.uuid4().hex[:8]
    system.create_coordinator(f"amira-{tag}@example.org", "Amira")
    volunteer, newcomer = a_ready_volunteer_and_a_waiting_newcomer(system, tag)
    waiting = requests.post(
        system.url("/api/v1/volunteers"),
        json={
            "name": "Olena Shevchenko",
            "email": f"olena-{tag}@example.org",
            "postcode": "LS7 3CC",
            "languages": ["uk", "en"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
        },
        timeout=10,
    ).json()["id"]
    wait_until(lambda: status_of(system, "volunteers", waiting) == "applied", timeout=30)
    # A newcomer with a phone and no email, far away: a call to make, not a match.
    phoned = requests.post(
        system.url("/api/v1/newcomers"),
        json={
            "name": "Tesfaye Bekele",
            "phone": "0113 496 0777",
            "postcode": "LS99 9ZZ",
            "availability": [{"day": "sun", "part": "evening"}],
            "consent": True,
        },
        timeout=10,
    ).json()["id"]
    wait_until(lambda: status_of(system, "newcomers", phoned) == "waiting", timeout=30)

    page.goto(system.url("/coordinator/matches"))
    expect(page).to_have_url(re.compile(r"/coordinator/login\?next=/coordinator/matches$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "coordinator-login")
    page.get_by_label("Email").fill(f"amira-{tag}@example.org")
    page.get_by_label("Password").fill(system.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/coordinator/matches$"))
    expect(page.get_by_role("status")).to_contain_text("Signed in as Amira.")

    # Who is waiting, the longest first (issue 15): the newcomer, not yet in a run.
    page.get_by_role("link", name="Newcomers", exact=True).click()
    row = page.locator("tr", has_text=references.of(uuid.UUID(newcomer)))
    expect(row).to_contain_text("Yonas")
    expect(row).to_contain_text("Not in a run yet")
    call = page.locator(f"#call-{phoned}")
    expect(call.locator('a[href="tel:+441134960777"]')).to_have_text("0113 496 0777")
    expect(call).to_contain_text(references.of(uuid.UUID(phoned)))
    screenshot(page, "coordinator-newcomers")
    call.get_by_role("button", name="I called them").click()
    expect(page.get_by_role("status")).to_contain_text("Call recorded.")
    expect(page.locator(f"#call-{phoned}")).to_have_count(0)
    page.get_by_role("link", name="Matches", exact=True).click()
    page.get_by_role("button", name="Run the matcher now").click()
    # Both people by first name, area and reference, and why in words (issue 15).
    proposal = page.locator("section.card", has_text=references.of(uuid.UUID(newcomer)))
    expect(proposal).to_contain_text(f"Sam LS6 · {references.of(uuid.UUID(volunteer))}")
    expect(proposal).to_contain_text("Both speak Arabic")
    expect(proposal).to_contain_text("The numbers: score")
    screenshot(page, "coordinator-proposals")

    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("proposed matches to decide"))).to_be_visible()
    screenshot(page, "coordinator-dashboard")
    page.get_by_role("link", name=re.compile("proposed matches to decide")).click()

    proposal.get_by_role("button", name="Approve and introduce").click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    assert status_of(system, "newcomers", newcomer) == "matched"
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("tbody tr").filter(has_text="decide:approve").first).to_contain_text(
        "Amira"
    )

    def introduction(address: str) -> Message:
        def found() -> Message | None:
            mine = emails_to(address)
            return next((m for m in mine if "Meet" in str(m["Subject"])), None)

        return wait_until(found, timeout=30)

    assert "Yonas" in str(introduction(f"sam-{tag}@example.org")["Subject"])
    assert "Sam" in str(introduction(f"yonas-{tag}@example.org")["Subject"])
