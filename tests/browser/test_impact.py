"""The Impact page (issue 18) as a coordinator sees it, at 1280 px and on a phone at 390 px:
figures, charts drawn on the server with their text and their tables, no script, nothing
wider than the screen; the printable page. In headless Chromium against the whole running
system, whose tallies hold a year of the network's history (sanctuary_dev.impact_history, written
into the services' own tables as they would have kept it) besides what the other tests did."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from sanctuary.contracts import DEFAULT_GROUP_ID
from sanctuary_dev.impact_history import history
from sqlalchemy import MetaData, create_engine
from sqlalchemy.dialects.sqlite import insert


def a_year_of_history(system: Any) -> None:
    """The network group's last 365 days, up to yesterday, in each service's tallies."""
    today = datetime.now(UTC).date()
    made = history([DEFAULT_GROUP_ID], today - timedelta(days=365), 365, seed=6)
    for service in ("matching", "events", "notifications"):
        engine = create_engine(f"sqlite:///{system.log.parent / service}.db")
        table = MetaData()
        table.reflect(engine, only=["tallies"])
        tallies = table.tables["tallies"]
        with engine.begin() as connection:
            for row in made.rows(service):
                new = insert(tallies).values(**row)
                connection.execute(
                    new.on_conflict_do_update(
                        index_elements=["day", "group_key", "kind", "measure"],
                        set_={"count": tallies.c.count + new.excluded.count},
                    )
                )
        engine.dispose()


def test_a_coordinator_reads_the_year_in_pictures_on_a_desk_and_a_phone(
    system: Any,
    make_page: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    fits_the_screen: Callable[[Any], None],
) -> None:
    a_year_of_history(system)
    email = f"impact-{uuid.uuid4().hex[:8]}@example.org"
    system.create_coordinator(email, "Impact")
    for width, height, name in ((1280, 900, "coordinator-impact"), (390, 844, "impact-phone")):
        page = make_page(width=width, height=height)
        page.goto(system.url("/coordinator/impact"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(system.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/coordinator/impact$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Impact")
        charts = page.locator("figure.chart img")
        expect(charts).to_have_count(4)
        for alt in charts.evaluate_all("images => images.map(i => i.alt)"):
            assert re.search(r"\d", alt), alt  # a sentence with the figures, not a label
        # Each chart drew (an image the browser decoded, wider than it is tall).
        sizes = charts.evaluate_all("images => images.map(i => [i.naturalWidth, i.complete])")
        assert all(width > 0 and complete for width, complete in sizes), sizes
        assert page.locator("script").count() == 0
        trend = page.locator("#chart-trend")
        trend.get_by_text("The numbers behind").click()
        expect(trend.locator("tbody tr")).to_have_count(12)  # the last 12 months, by default
        fits_the_screen(page)
        screenshot(page, name)
        page.close()
    page = make_page(width=1280, height=900)
    page.goto(system.url("/coordinator/impact/print"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(system.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("impact summary")
    page.emulate_media(media="print")
    expect(page.locator("figure.chart img")).to_have_count(2)
