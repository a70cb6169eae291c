"""In a browser: a person asks for a place at a full event and sees their number in the
queue; a person with a place cancels it from the link in their email.

Real: the whole system (scripts/run), its SMTP sink, and headless Chromium on a phone-sized
screen. The events are scheduled through the coordinator API, as a coordinator would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

from axe_check import violations
from playwright.sync_api import expect

PHONE = 390
LONDON = ZoneInfo("Europe/London")


def ask_for_a_place(page: Any, name: str, email: str) -> None:
    """Fill the event page's form in and send it, as a person would, with the keyboard."""
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("I agree that you keep my name and email for this event.").check()
    page.get_by_role("button", name=re.compile("Ask for a place|Join the waiting list")).click()


def test_a_person_asks_for_a_place_at_a_full_event_and_sees_their_number(
    system: Any,
    make_page: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    emails_to: Callable[..., list[Message]],
) -> None:
    # Fixed dates, so the screenshots change only when the pages do.
    title = "Board games evening"
    event = system.schedule(title, 1, datetime(2030, 6, 8, 17, tzinfo=LONDON))
    first = make_page(width=PHONE)
    first.goto(system.url(f"/events/{event['id']}"))
    ask_for_a_place(first, "Amina", "amina.first@example.org")
    expect(first.get_by_role("heading", name="You have a place")).to_be_visible()

    page = make_page(width=PHONE)
    page.goto(system.url("/events"))
    expect(page.get_by_role("heading", level=1, name="Events")).to_be_visible()
    card = page.locator("li.event-card", has_text=title)
    expect(card).to_contain_text("Full: you can join the waiting list")
    expect(card).to_contain_text("Community centre, 12 Mill Street, Leeds")
    screenshot(page, "events-list")

    card.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_text("This event is full.")).to_be_visible()
    # Sent empty, the form comes back with the reason next to each field.
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#name-error")).to_contain_text("Missing data for required field.")
    screenshot(page, "event-form-errors")

    ask_for_a_place(page, "Yusuf", "yusuf.waiting@example.org")
    # "received" first; the page looks again by itself (a Refresh header, no script).
    expect(page.get_by_role("heading", name="You are on the waiting list")).to_be_visible(
        timeout=30_000
    )
    expect(page.locator("strong.position")).to_have_text("1")
    assert re.fullmatch(rf"{system.gateway}/registrations/[0-9a-f-]{{36}}", page.url)
    assert "yusuf" not in page.url  # nothing personal in the address
    screenshot(page, "registration-waiting")
    # The same page in Arabic, right to left, from the visible switch.
    page.get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("strong.position")).to_have_text("1")
    screenshot(page, "registration-waiting-ar")
    emails_to("yusuf.waiting@example.org")  # and the email saying so


def test_a_person_cancels_their_place_from_the_link_in_their_email(
    system: Any,
    make_page: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    emails_to: Callable[..., list[Message]],
    plain_text: Callable[[Message], str],
) -> None:
    title = "Walk by the canal"
    event = system.schedule(title, 5, datetime(2030, 6, 15, 11, tzinfo=LONDON))
    page = make_page(width=PHONE)
    page.goto(system.url(f"/events/{event['id']}"))
    expect(page.get_by_text("Places left: 5")).to_be_visible()
    screenshot(page, "event-page")
    ask_for_a_place(page, "Olena", "olena.cancels@example.org")
    expect(page.get_by_role("heading", name="You have a place")).to_be_visible(timeout=30_000)
    screenshot(page, "registration-confirmed")

    [confirmation] = emails_to("olena.cancels@example.org")
    found = re.search(
        r"\S+/registrations/[0-9a-f-]{36}/cancel\?token=\S+", plain_text(confirmation)
    )
    assert found, plain_text(confirmation)
    link = found.group(0)  # PUBLIC_BASE_URL follows the gateway's port: opened as is

    # A fresh browser, as when the email is opened on another device; a GET cancels nothing.
    reader = make_page(width=PHONE)
    reader.goto(link)
    expect(reader.get_by_role("heading", name="Cancel your place?")).to_be_visible()
    expect(reader.get_by_text(title)).to_be_visible()
    assert violations(reader) == []  # the page only an emailed link opens (issue 15)
    screenshot(reader, "registration-cancel")
    page.reload()
    expect(page.get_by_role("heading", name="You have a place")).to_be_visible()

    reader.get_by_role("button", name="Yes, cancel my place").click()
    expect(reader.get_by_role("heading", name="Your place is cancelled")).to_be_visible()
    screenshot(reader, "registration-cancelled")
    reader.goto(system.url(f"/events/{event['id']}"))
    expect(reader.get_by_text("Places left: 5")).to_be_visible()
    # Following the link again shows there is nothing left to do.
    reader.goto(link)
    expect(reader.get_by_role("heading", name="Your place is already cancelled")).to_be_visible()
