"""What every public page shares: the reader's language, security headers, CSRF, rate
limits and HTML error pages, on the real gateway app and its SQLite database."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from gateway.config import from_env
from gateway.entrypoints.site import LANGUAGES
from sanctuary.config import ConfigError
from sanctuary_dev.secrets import with_secrets

TRANSLATIONS = Path(__file__).parents[1] / "gateway" / "translations"


def page(client: Any, path: str = "/no-such-page", **headers: str) -> Any:
    return client.get(path, headers={"Accept": "text/html", **headers})


def test_security_headers_on_pages_and_api(make_app: Callable[..., Any]) -> None:
    client = make_app().test_client()
    for response in (page(client), client.get("/api/v1/volunteers/nope")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_follow_accept_language_until_a_language_is_chosen(
    make_app: Callable[..., Any],
) -> None:
    client = make_app().test_client()
    arabic = page(client, **{"Accept-Language": "ar,en;q=0.5"})
    assert arabic.status_code == 404
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "لا نجد هذه الصفحة" in arabic.text
    assert '<html lang="en" dir="ltr">' in page(client).text

    switched = client.get("/language/uk?next=/events")
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/events"
    cookie = switched.headers["Set-Cookie"]
    for part in ("lang=uk", "HttpOnly", "SameSite=Lax", "Secure"):
        assert part in cookie
    # The choice wins over the browser's language from then on.
    ukrainian = page(client, **{"Accept-Language": "ar"})
    assert '<html lang="uk" dir="ltr">' in ukrainian.text
    assert "Ми не можемо знайти цю сторінку" in ukrainian.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil",
        "",
        "/a\\b",
        # Tabs and newlines cannot make a redirect leave the site either.
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a//evil",
    ],
)
def test_the_language_switch_never_leaves_the_site(
    make_app: Callable[..., Any], target: str
) -> None:
    response = make_app().test_client().get(f"/language/ar?next={target}")
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_not_found(make_app: Callable[..., Any]) -> None:
    assert make_app().test_client().get("/language/xx").status_code == 404


def test_every_page_links_to_every_language(make_app: Callable[..., Any]) -> None:
    text = page(make_app().test_client()).text
    for code in LANGUAGES:
        assert f'hreflang="{code}"' in text


def test_the_api_still_answers_problem_json(make_app: Callable[..., Any]) -> None:
    response = make_app().test_client().get("/api/v1/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_public_posts_are_rate_limited_per_address(make_app: Callable[..., Any]) -> None:
    client = make_app(public_rate_limit="3/minute").test_client()
    answers = [client.post("/api/v1/volunteers", json={}) for _ in range(4)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]
    # Only the refusal says when to come back: a polling client would wait on any other.
    assert [("Retry-After" in a.headers) for a in answers] == [False, False, False, True]
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    limited = answers[-1]
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    # Another address has its own allowance.
    other = client.post("/api/v1/volunteers", json={}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 422
    # Reads are not limited.
    assert client.get("/api/v1/events").status_code != 429


def test_an_empty_rate_limit_turns_it_off(make_app: Callable[..., Any]) -> None:
    client = make_app(public_rate_limit="").test_client()
    statuses = {client.post("/api/v1/volunteers", json={}).status_code for _ in range(40)}
    assert statuses == {422}


def test_rate_limit_settings_from_the_environment() -> None:
    assert from_env(with_secrets({})).public_rate_limit == "30/minute"
    assert from_env(with_secrets({"PUBLIC_RATE_LIMIT": ""})).public_rate_limit == ""
    assert from_env(with_secrets({"REDIS_URL": "redis://localhost:6379/0"})).redis_url.startswith(
        "redis:"
    )
    assert from_env(with_secrets({"COOKIE_SECURE": "false"})).cookie_secure is False
    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        from_env(with_secrets({"PROXY_HOPS": "one"}))


def test_rate_limits_are_shared_through_redis(make_app: Callable[..., Any]) -> None:
    """Two web processes (two apps) count one client's POSTs together when REDIS_URL is set."""
    import os
    import uuid

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # An address of its own, so counters of earlier runs never interfere.
    first = make_app(public_rate_limit="3/minute", redis_url=redis_url).test_client()
    second = make_app(public_rate_limit="3/minute", redis_url=redis_url).test_client()
    address = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"}
    statuses = [
        client.post("/api/v1/volunteers", json={}, environ_base=address).status_code
        for client in (first, second, first, second)
    ]
    assert statuses == [422, 422, 422, 429]


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_compiled_catalogues_match_their_sources(language: str) -> None:
    """The committed .mo files are what scripts/translations compiles from the .po files."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    wanted = {m.id: m.string for m in source if m.id and m.string and not m.fuzzy}
    assert wanted, "no translated message"
    assert {m.id: m.string for m in compiled if m.id} == wanted
    untranslated = [m.id for m in source if m.id and not m.string]
    assert not untranslated, f"untranslated in {language}: {untranslated}"


def test_the_access_log_names_the_route_never_the_path_or_query(
    make_app: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A cancel link's token and a registration's id stay out of the logs."""
    client = make_app().test_client()
    capsys.readouterr()
    page(client, "/registrations/6f1c0e8e-0000-4000-8000-000000000001/cancel?token=s3cr3t")
    logged = capsys.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines() if '"msg": "request"' in line]
    assert len(lines) == 1
    assert lines[0]["route"] == "/registrations/<uuid:registration_id>/cancel"
    assert lines[0]["method"] == "GET"
    assert "s3cr3t" not in logged
    assert "6f1c0e8e" not in logged


def test_public_posts_share_one_bucket_per_address(make_app: Callable[..., Any]) -> None:
    """The forms and the API together: one allowance, not one per endpoint."""
    client = make_app(public_rate_limit="2/minute").test_client()
    assert client.post("/api/v1/volunteers", json={}).status_code == 422
    assert client.post("/api/v1/newcomers", json={}).status_code == 422
    assert client.post("/api/v1/volunteers", json={}).status_code == 429
    assert client.post("/api/v1/newcomers", json={}).status_code == 429


def test_an_unset_admin_token_switches_the_bootstrap_credential_off(tmp_path: Path) -> None:
    """No bootstrap credential unless one is set (or `make run` made one in var/)."""
    nothing_kept = {"VAR_DIR": str(tmp_path)}
    assert from_env(with_secrets(nothing_kept)).admin_token == ""
    (tmp_path / "admin-token").write_text("made-by-make-run-0123456\n")
    assert from_env(with_secrets(nothing_kept)).admin_token == "made-by-make-run-0123456"
    assert from_env(with_secrets({**nothing_kept, "ADMIN_TOKEN": ""})).admin_token == ""
    token = "a-long-random-bootstrap-token"
    assert from_env(with_secrets({"ADMIN_TOKEN": token})).admin_token == token


@pytest.mark.parametrize("known", ["dev-admin-token", "change-me-admin", "short"])
def test_the_gateway_refuses_a_known_or_short_admin_token(known: str) -> None:
    """The bootstrap credential of earlier releases, a compose placeholder, a guessable one."""
    with pytest.raises(ConfigError, match="ADMIN_TOKEN"):
        from_env(with_secrets({"ADMIN_TOKEN": known}))


def test_the_site_has_an_icon_where_browsers_look(make_app: Callable[..., Any]) -> None:
    """/favicon.ico answered 404 on every first visit; the pages link the SVG."""
    client = make_app().test_client()
    with client.get("/favicon.ico") as icon:  # a file's answer: closed when read
        assert icon.status_code == 200
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO: reserved 0, type 1 (icon)
        assert icon.data[22:30] == b"\x89PNG\r\n\x1a\n"  # its one 32 px image, as PNG
    page = client.get("/").get_data(as_text=True)
    linked = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert linked, page[:600]
    with client.get(linked.group(1)) as svg:
        assert (svg.status_code, svg.mimetype) == (200, "image/svg+xml")


def test_every_page_the_readme_lists_is_one_the_gateway_serves(
    make_app: Callable[..., Any],
) -> None:
    """README's "The pages" names each public page; each is a GET route of the gateway."""
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    table = readme.split("### The pages", 1)[1].split("\n### ", 1)[0]
    listed = re.findall(r"`(/[^`?]*)", table)
    assert len(listed) >= 12, listed
    routes = make_app().url_map.bind("localhost")
    for path in listed:
        example = path.replace("<id>", "0b5c5c00-0000-4000-8000-000000000001")
        example = re.sub(r"<\w+>", "network", example)
        endpoint, _ = routes.match(example, method="GET")
        assert endpoint, path
