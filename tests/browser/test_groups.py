"""In a browser: a newcomer finds their local group from a postcode on a phone and asks for a
befriender there; a coordinator of two groups switches the dashboard between them.

Real: the whole system (scripts/run), and headless Chromium. Groups are made as a network
admin makes them, through the API with the admin token. The system lives for the whole
session and a group's areas are its own, so each test covers a district of its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import requests
from playwright.sync_api import expect
from sanctuary_dev.processes import wait_until

PHONE = 390
SLOT = [{"day": "sat", "part": "morning"}]


def api(system: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A call as the network admin (the bootstrap token)."""
    headers = {"Authorization": f"Bearer {system.admin_token}"}
    return requests.request(method, system.url(path), headers=headers, timeout=10, **kwargs)


def a_group(system: Any, slug: str, name: str, areas: list[str]) -> dict[str, Any]:
    """A new local group, made through the API."""
    body = {"slug": slug, "name": name, "contact": f"{slug}@example.org", "areas": areas}
    answer = api(system, "POST", "/api/v1/groups", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def a_district(tag: str, area: str) -> str:
    """A district of `area` (such as "S42") chosen from `tag`: the groups of one session's
    system never ask for the same one."""
    return f"{area}{int(tag, 16) % 90 + 10}"


def status_of(system: Any, kind: str, ident: str) -> str:
    return str(requests.get(system.url(f"/api/v1/{kind}/{ident}"), timeout=10).json()["status"])


def unmatched_in(system: Any, slug: str) -> set[str]:
    """The newcomers a dry run of the matcher for group `slug` leaves unmatched."""
    answer = api(system, "POST", "/api/v1/matching/runs", json={"dry_run": True, "group": slug})
    assert answer.status_code == 200, answer.text
    return {row["newcomer_id"] for row in answer.json()["unmatched"]}


def test_a_newcomer_finds_their_local_group_from_a_postcode_on_a_phone_and_asks_there(
    system: Any,
    make_page: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    fits_the_screen: Callable[[Any], None],
) -> None:
    tag = uuid.uuid4().hex[:8]
    district = a_district(tag, "S")
    slug, name = f"sheffield-{tag}", "Sheffield Befrienders"  # names need not be unique
    group = a_group(system, slug, name, [district])
    page = make_page(width=PHONE)
    page.goto(system.url("/"))
    page.get_by_label("Your postcode").fill(f"{district.lower()} 4ab")
    page.get_by_role("button", name="Find my group").click()

    expect(page).to_have_url(system.url(f"/groups/{slug}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#contact")).to_have_text(group["contact"])
    expect(page.locator("#areas")).to_contain_text(district)
    fits_the_screen(page)
    screenshot(page, "group-page-phone")
    page.get_by_role("link", name=re.compile("^Ask for a befriender")).click()

    expect(page).to_have_url(system.url(f"/befriender?group={slug}"))
    expect(page.locator("#joining-group")).to_contain_text(f"You are joining {name}.")
    fits_the_screen(page)
    page.get_by_label("Name", exact=True).fill("Dawit")
    page.get_by_role("textbox", name=re.compile("^Email address")).first.fill(
        f"dawit-{tag}@example.org"
    )
    page.get_by_label("Postcode", exact=True).fill(f"{district} 4AB")
    page.locator("#availability").check()
    page.get_by_label("I agree. The person who wants a befriender agrees too.").check()
    page.get_by_text("Tell us more (optional)").click()
    page.get_by_role("checkbox", name=re.compile("Tigrinya|Arabic")).first.check()
    page.locator("#special_consent").check()  # languages and gender used for matching
    page.get_by_role("button", name="Send").click()

    expect(page).to_have_url(re.compile(re.escape(system.url("/befriender/thanks/")) + ".+"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you. We have your request.")
    newcomer = page.url.rsplit("/", 1)[-1]
    wait_until(lambda: status_of(system, "newcomers", newcomer) == "waiting", timeout=30)
    # In the group's own run (no volunteers there yet: unmatched), in no other group's.
    assert newcomer in unmatched_in(system, slug)
    assert newcomer not in unmatched_in(system, "network")


def a_volunteer_in(system: Any, slug: str, name: str, tag: str) -> str:
    """A volunteer signed up through the public API for group `slug`, taken in by matching."""
    answer = requests.post(
        system.url("/api/v1/volunteers"),
        json={
            "name": name,
            "email": f"{name.split()[0].lower()}-{tag}@example.org",
            "postcode": "LS6 1AA",  # the network's area: the named group wins over it
            "languages": ["en"],
            "availability": SLOT,
            "consent": True,
            "special_consent": True,
            "group": slug,
        },
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    ident = str(answer.json()["id"])
    wait_until(lambda: status_of(system, "volunteers", ident) == "applied", timeout=30)
    return ident


def test_a_coordinator_of_two_groups_switches_between_them(
    system: Any, page: Any, screenshot: Callable[[Any, str], Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    york, hull = f"york-{tag}", f"hull-{tag}"
    a_group(system, york, "York Befrienders", [a_district(tag, "YO")])
    a_group(system, hull, "Hull Befrienders", [a_district(tag, "HU")])
    in_york, in_hull = "Yusra Ahmadi", "Hamid Karimi"  # only these two are in the groups
    a_volunteer_in(system, york, in_york, tag)
    a_volunteer_in(system, hull, in_hull, tag)
    system.create_coordinator(f"nadia-{tag}@example.org", "Nadia", (york, hull))

    page.goto(system.url("/coordinator/volunteers"))
    page.get_by_label("Email").fill(f"nadia-{tag}@example.org")
    page.get_by_label("Password").fill(system.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(system.url("/coordinator/volunteers"))
    york_card = page.get_by_role("heading", level=2, name=re.compile(re.escape(in_york)))
    hull_card = page.get_by_role("heading", level=2, name=re.compile(re.escape(in_hull)))
    expect(york_card).to_be_visible()
    expect(hull_card).to_be_visible()

    switcher = page.get_by_label("Group")
    for shown, seen, unseen in ((york, york_card, hull_card), (hull, hull_card, york_card)):
        switcher.select_option(shown)
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page).to_have_url(system.url("/coordinator/volunteers"))
        expect(page.get_by_label("Group")).to_have_value(shown)
        expect(seen).to_be_visible()
        expect(unseen).to_have_count(0)
        if shown == york:
            screenshot(page, "coordinator-group-switcher")

    switcher.select_option(label="All my groups")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_label("Group")).to_have_value("")
    expect(york_card).to_be_visible()
    expect(hull_card).to_be_visible()
