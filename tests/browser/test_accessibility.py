"""WCAG 2.2 AA, as axe-core checks it (issue 15): every public page in English, Arabic and
Ukrainian at 390 px, each form also with its errors shown, has no serious or critical
violation.

Real: the whole system (scripts/run) and headless Chromium; axe-core 4.x as the
axe-playwright-python package bundles it, run inside each page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from axe_check import violations

PHONE = 390
LANGUAGES = ("en", "ar", "uk")
PAGES = (
    "/",
    "/volunteer",
    "/befriender",
    "/events",
    "/groups",
    "/groups/find",
    "/my-data",
    "/status",
    "/concern?about=match&id=00000000-0000-4000-8000-000000000001",  # as an email links it
)
DASHBOARD = (
    "/coordinator/",
    "/coordinator/volunteers",
    "/coordinator/volunteers?status=ready",
    "/coordinator/newcomers",
    "/coordinator/matches",
    "/coordinator/events",
    "/coordinator/deliveries",
    "/coordinator/audit",
    "/coordinator/tokens",
    "/coordinator/invite",
    "/coordinator/impact",
    "/coordinator/concerns",
    "/coordinator/impact/print",
)
# Forms sent empty, so that every error shows.
FORMS = {"/volunteer": "button[type=submit]", "/befriender": "button[type=submit]"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_in_every_language(
    system: Any, make_page: Callable[..., Any], language: str
) -> None:
    page = make_page(width=PHONE)
    page.goto(system.url(f"/language/{language}?next=/"))
    found = {}
    for path in PAGES:
        page.goto(system.url(path))
        found[path] = violations(page)
        if path in FORMS:
            # The errors come back as a new page: checked once it (and its stylesheet) has
            # loaded, or a loaded machine has axe measure links without their padding.
            with page.expect_navigation():
                page.locator(FORMS[path]).click()
            found[f"{path} with errors"] = violations(page)
    assert not {p: v for p, v in found.items() if v}


def test_every_dashboard_page_at_desktop_width(system: Any, make_page: Callable[..., Any]) -> None:
    """The coordinators' pages at 1280 px, signed in; the sign-in page also with its error."""
    email = f"axe-{uuid.uuid4().hex[:8]}@example.org"
    system.create_coordinator(email, "Axe")
    page = make_page(width=1280)
    page.goto(system.url("/coordinator/login"))
    found = {"/coordinator/login": violations(page)}
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    found["/coordinator/login with its error"] = violations(page)
    page.get_by_label("Password").fill(system.password)
    page.get_by_role("button", name="Sign in").click()
    for path in DASHBOARD:
        page.goto(system.url(path))
        assert page.url.endswith(path), page.url  # signed in: no detour to the login page
        found[path] = violations(page)
    assert not {p: v for p, v in found.items() if v}


def test_the_check_finds_a_violation_where_there_is_one(make_page: Callable[..., Any]) -> None:
    """The check means something: an image with no text and an unlabelled field fail it."""
    page = make_page(width=PHONE)
    page.set_content('<html lang="en"><title>t</title><img src="x.png"><input type="text"></html>')
    assert {v.split(" ")[0] for v in violations(page)} >= {"image-alt", "label"}


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element `selector` names has the focus, as a keyboard user moves;
    fails if it is never reached."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was never reached by the keyboard")


@pytest.mark.parametrize(
    ("path", "language", "fields", "send"),
    [
        (
            "/volunteer",
            "en",
            {"#name": "Amina", "#email": "amina.keys@example.org", "#postcode": "LS6 1AA"},
            "/volunteer/thanks/",
        ),
        (
            "/befriender",
            "ar",
            {"#name": "يوسف", "#postcode": "LS6 1AA", "#email": "yusuf.keys@example.org"},
            "/befriender/thanks/",
        ),
    ],
)
def test_each_form_is_sent_by_keyboard_alone(
    system: Any,
    make_page: Callable[..., Any],
    path: str,
    language: str,
    fields: dict[str, str],
    send: str,
) -> None:
    """Tab to each field in page order, type, tick with Space, open "Tell us more" with
    Enter, send with Enter: no mouse anywhere."""
    page = make_page(width=PHONE)
    page.goto(system.url(f"/language/{language}?next={path}"))
    for selector, text in fields.items():
        tab_to(page, selector)
        page.keyboard.type(text)
    for box in ("#availability", "#consent"):
        tab_to(page, box)
        page.keyboard.press("Space")
    tab_to(page, "details.more > summary")
    page.keyboard.press("Enter")
    tab_to(page, "#special_consent")  # inside the second step, now open
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{send}*")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_that_show_an_event_a_group_and_a_place(
    system: Any, make_page: Callable[..., Any], language: str
) -> None:
    """An event's page (and its form with errors), a group's page and a place's page, in
    every language at 390 px."""
    from datetime import UTC, datetime

    event = system.schedule(f"Axe social {language}", 5, datetime(2030, 7, 6, 11, tzinfo=UTC))
    page = make_page(width=PHONE)
    page.goto(system.url(f"/language/{language}?next=/groups/network"))
    found = {"/groups/network": violations(page)}
    page.goto(system.url(f"/events/{event['id']}"))
    found["the event"] = violations(page)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    found["the event's form with errors"] = violations(page)
    page.locator("#name").fill("Amina")
    page.locator("#email").fill(f"axe-{language}@example.org")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/registrations/*")
    found["the place"] = violations(page)
    assert not {p: v for p, v in found.items() if v}
