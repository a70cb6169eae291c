"""A newcomer reads their introduction email in Arabic and, worried, reports a concern from its
link on a phone at 390 px (issue 19): the page in Arabic, right to left, 999 first; two
choices and a few words; sent in well under two minutes, anonymously, with a reference and
what happens next. In headless Chromium against the whole running system."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from email.message import Message
from typing import Any

import requests
from playwright.sync_api import expect
from sanctuary_dev.processes import wait_until
from test_coordinator import api, status_of

SLOT = [{"day": "sat", "part": "morning"}]


def an_introduced_pair(system: Any, tag: str) -> str:
    """A volunteer and an Arabic-speaking newcomer, matched and introduced; the newcomer's
    address."""
    person = {
        "postcode": "LS6 1AA",
        "languages": ["ar"],
        "availability": SLOT,
        "consent": True,
        "special_consent": True,
    }

    def sent(path: str, **more: str) -> str:
        return str(
            requests.post(system.url(path), json={**person, **more}, timeout=10).json()["id"]
        )

    volunteer = sent("/api/v1/volunteers", name="Sam Carter", email=f"sam-{tag}@example.org")
    address = f"amal-{tag}@example.org"
    newcomer = sent(
        "/api/v1/newcomers", name="Amal", email=address, postcode="LS6 2BB", locale="ar"
    )
    wait_until(lambda: status_of(system, "volunteers", volunteer) == "applied", timeout=30)
    wait_until(lambda: status_of(system, "newcomers", newcomer) == "waiting", timeout=30)
    checks = {"references": "verified", "screening": "passed", "training": "completed"}
    assert api(system, "POST", f"/api/v1/volunteers/{volunteer}/checks", json=checks).ok
    run = api(system, "POST", "/api/v1/matching/runs", json={"dry_run": False}).json()
    [match] = [p for p in run["proposals"] if p["newcomer_id"] == newcomer]
    matches = api(system, "GET", "/api/v1/matches?status=proposed").json()
    [proposed] = [m for m in matches if m["newcomer_id"] == newcomer]
    assert match["volunteer_id"] == volunteer
    assert api(system, "POST", f"/api/v1/matches/{proposed['id']}/approve", json={}).ok
    return address


def test_a_newcomer_reports_a_concern_from_the_introduction_in_arabic_on_a_phone(
    system: Any,
    make_page: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    fits_the_screen: Callable[[Any], None],
    emails_to: Callable[..., list[Message]],
    plain_text: Callable[[Message], str],
) -> None:
    address = an_introduced_pair(system, uuid.uuid4().hex[:8])

    def concern_link() -> re.Match[str] | None:  # in the introduction, once it has come
        texts = [plain_text(m) for m in emails_to(address)]
        found = (re.search(r"https?://\S+/concern\?about=match&id=[0-9a-f-]+", t) for t in texts)
        return next((link for link in found if link), None)

    link = wait_until(concern_link, timeout=30)
    page = make_page(width=390, height=844, locale="ar")
    started = time.monotonic()
    page.goto(link.group(0))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("الإبلاغ عن مخاوف")
    expect(page.locator(".emergency")).to_contain_text("999")
    fits_the_screen(page)
    page.get_by_label("المال: طلبه أو أخذه أو الضغط بشأنه").check()
    page.get_by_label("خلال يوم أو يومين").check()
    page.get_by_label("ماذا حدث؟").fill("طلب مني المتطوع أن أقرضه مالًا.")
    screenshot(page, "concern-ar")
    page.get_by_role("button", name="أرسل المخاوف").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("شكرًا لك: أُرسلت مخاوفك")
    assert time.monotonic() - started < 120  # the two minutes, with room to spare
    expect(page.locator("strong.reference")).to_have_text(re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    fits_the_screen(page)
