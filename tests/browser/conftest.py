"""Fixtures of the browser tests: the whole system as `make run` starts it, the SMTP sink it
mails to, and headless pages of Debian's Chromium driven by Playwright.

Real: every process of every service (scripts/run, sanctuary_dev.procfile, gunicorn for the web
processes), RabbitMQ (a private vhost), SQLite files, an aiosmtpd sink, and Chromium. One
system serves every browser test of the session: starting it takes a few seconds.

Use in a test:
    def test_x(system, page, screenshot, emails_to): ...
`page` is 1280 px wide and asks for English; `make_page(width=390, locale="ar")` makes
others. `screenshot(page, "name")` saves docs/screenshots/name.png.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import requests
from sanctuary_dev import mailsink
from sanctuary_dev.processes import running_system, wait_until
from sanctuary_dev.servers import private_vhost

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_TOKEN = "browser-coordinator-token"
PASSWORD = "a long enough passphrase"  # every coordinator the tests make


@dataclass(frozen=True)
class System:
    """The running system: where the gateway answers, where mail lands, the run log."""

    gateway: str
    mail: Path
    log: Path
    admin_token: str = ADMIN_TOKEN
    password: str = PASSWORD  # every coordinator's, as create_coordinator makes them

    def url(self, path: str) -> str:
        """`path` on the gateway."""
        return self.gateway + path

    def schedule(self, title: str, capacity: int, starts: datetime) -> dict[str, Any]:
        """A coordinator schedules a two-hour social in London (the bootstrap token)."""
        answer = requests.post(
            self.url("/api/v1/events"),
            headers={"Authorization": f"Bearer {self.admin_token}"},
            json={
                "title": title,
                "kind": "social",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "timezone": "Europe/London",
                "capacity": capacity,
                "location": "Community centre, 12 Mill Street, Leeds",
                "description": "Tea, cake and conversation. Children are welcome.",
            },
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def create_coordinator(
        self, email: str, name: str, groups: tuple[str, ...] = ("network",)
    ) -> None:
        """`python -m gateway create-coordinator`, as the operator runs it, on the system's
        data: a coordinator of `groups` (the network's own group, which `make run` seeds),
        whose password is PASSWORD."""
        process = subprocess.run(
            [sys.executable, "-m", "gateway", "create-coordinator", "--email", email,
             "--name", name, *(a for g in groups for a in ("--group", g)), "--password-stdin"],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "VAR_DIR": str(self.log.parent)},
            check=False,
        )  # fmt: skip
        assert process.returncode == 0, process.stderr


@pytest.fixture(scope="session")
def system(broker_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system (scripts/run) mailing to an SMTP sink, for the whole session.

    Cookies are not `Secure` (the test speaks plain HTTP) and the public rate limit is off
    (every test is one address, 127.0.0.1); everything else is as production runs it."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make chromium` installs it")
    folder = tmp_path_factory.mktemp("browser")
    sink = mailsink.start(folder / "mail")
    try:
        with (
            private_vhost(broker_base_url) as amqp_url,
            running_system(
                ROOT,
                amqp_url,
                folder / "var",
                sink.port,
                WEB_CONCURRENCY="1",
                ADMIN_TOKEN=ADMIN_TOKEN,
                COOKIE_SECURE="false",
                PUBLIC_RATE_LIMIT="",
            ) as gateway,
        ):
            yield System(gateway, folder / "mail", folder / "var" / "run.log")
    finally:
        sink.stop()
        log = folder / "var" / "run.log"
        print(log.read_text()[-5000:] if log.exists() else "no run.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, not a Playwright download), for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def make_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Make a page in a fresh browser context (no cookies): `width` px wide, asking for
    `locale` (Accept-Language); closed when the test ends."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 900, locale: str = "en-GB") -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            timezone_id="Europe/London",
            device_scale_factor=1,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # The CSP must never block anything on our pages: a violation is a failed test.
        page.blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                page.blocked.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page: Callable[..., Any]) -> Any:
    """A desktop-sized page asking for English."""
    return make_page()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save the whole page as docs/screenshots/<name>.png (the README shows them)."""

    def save(page: Any, name: str) -> Path:
        assert not page.blocked, page.blocked
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # A person's reference is new each run: the pictures show one example, so a shot
        # changes only when the page does.
        page.locator("strong.reference").evaluate_all(
            "els => els.filter(e => /^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(e.textContent))"
            ".forEach(e => { e.textContent = 'K7M4-Q2PX'; })"
        )
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return save


@pytest.fixture
def emails_to(system: System) -> Callable[..., list[Message]]:
    """Wait for the emails the sink received for `address` (at least `count`)."""

    def wait(address: str, count: int = 1, timeout: float = 30) -> list[Message]:
        def received() -> list[Message] | None:
            found = [
                email.message_from_bytes(p.read_bytes()) for p in sorted(system.mail.glob("*.eml"))
            ]
            mine = [m for m in found if m["To"] == address]
            return mine if len(mine) >= count else None

        return wait_until(received, timeout=timeout, interval=0.2)

    return wait


def text_of(message: Message) -> str:
    """The plain-text part of an email, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


@pytest.fixture
def plain_text() -> Callable[[Message], str]:
    """The plain-text part of an email, decoded."""
    return text_of


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is end to end: `make unit` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def fits_the_screen() -> Callable[[Any], None]:
    """Check nothing on a page is wider than the screen: no sideways scrolling on a phone.
    Measured once the page has loaded: before its stylesheet applies, the week's grid shows
    every box's label."""

    def check(page: Any) -> None:
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width

    return check
