"""Coordinator accounts: passwords, personal tokens, sign-in, sessions and the CLI, on the
real gateway app and a migrated SQLite file (the internal APIs are not running: a call that
gets past the credential check answers 503)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from gateway.adapters.models import ApiToken, AuditRecord, Coordinator
from gateway.domain import accounts
from gateway.domain.accounts import Access, Holder
from gateway.entrypoints.coordinators import sign_in_pages
from gateway.entrypoints.web import create_app
from gateway.service_layer import staff
from sqlalchemy import select

PASSWORD = "correct horse battery"
EMAIL = "ali@example.org"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """The gateway of conftest.py, its matching and events where nothing listens."""
    nowhere = {"matching_url": "http://127.0.0.1:9", "events_url": "http://127.0.0.1:9"}
    return lambda **settings: make_app(**{**nowhere, **settings})


def sessions(app: Any) -> Any:
    """The gateway's sessions, to look at its tables."""
    return app.extensions["service"].sessions


def units(app: Any) -> Any:
    """The gateway's units of work, as the staff use cases take them."""
    return app.extensions["service"].unit_of_work


def csrf_token(client: Any, path: str = "/coordinator/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def sign_in(client: Any, email: str = EMAIL, password: str = PASSWORD, **kw: Any) -> Any:
    return client.post(
        "/coordinator/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        **kw,
    )


# The pure rules.


def test_passwords_are_argon2id_and_short_ones_are_refused() -> None:
    stored = accounts.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert accounts.password_matches(stored, PASSWORD)
    assert not accounts.password_matches(stored, PASSWORD + "!")
    assert not accounts.password_matches(None, PASSWORD)  # unknown email
    assert not accounts.password_matches("not a hash", PASSWORD)
    with pytest.raises(accounts.WeakPassword):
        accounts.hash_password("short")


def test_a_hash_made_with_older_parameters_needs_rehashing() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    assert accounts.needs_rehash(weaker)
    assert not accounts.needs_rehash(accounts.hash_password(PASSWORD))


def test_tokens_are_random_and_stored_only_as_their_sha256() -> None:
    token = accounts.new_token()
    assert token.startswith("sct_")
    assert len(token) > 40
    assert token != accounts.new_token()
    assert re.fullmatch("[0-9a-f]{64}", accounts.token_digest(token))


def test_who_may_act() -> None:
    active, off = Holder(True), Holder(False)
    later = NOW + timedelta(days=1)
    assert accounts.token_access(active, None, later, NOW) is Access.ALLOWED
    assert accounts.token_access(active, NOW, later, NOW) is Access.UNKNOWN  # revoked
    assert accounts.token_access(active, None, NOW, NOW) is Access.UNKNOWN  # expired
    assert accounts.token_access(None, None, later, NOW) is Access.UNKNOWN
    assert accounts.token_access(off, None, later, NOW) is Access.DEACTIVATED
    assert accounts.token_access(off, NOW, later, NOW) is Access.UNKNOWN
    signed_in = NOW - timedelta(hours=1)
    assert accounts.session_access(active, signed_in, NOW, NOW) is Access.ALLOWED
    idle = NOW - accounts.IDLE_TIMEOUT - timedelta(seconds=1)
    assert accounts.session_access(active, signed_in, idle, NOW) is Access.UNKNOWN
    old = NOW - accounts.SESSION_LIFETIME - timedelta(seconds=1)
    assert accounts.session_access(active, old, NOW, NOW) is Access.UNKNOWN
    logged_out = Holder(True, sessions_valid_after=NOW - timedelta(minutes=1))
    assert accounts.session_access(logged_out, signed_in, NOW, NOW) is Access.UNKNOWN
    assert accounts.session_access(off, signed_in, NOW, NOW) is Access.DEACTIVATED


def test_audit_names_the_action_and_the_record_by_id_only() -> None:
    arguments: dict[str, object] = {"match_id": "m-1", "action": "approve"}
    assert accounts.audit_action("coordinators.decide", arguments) == "decide:approve"
    assert accounts.audit_target(arguments) == ("match", "m-1")
    assert accounts.audit_target({}) == (None, None)


def test_a_dry_run_is_audited_as_one(make_app: Callable[..., Any]) -> None:
    """A dry run proposed nothing: the audit log must not read like a real run."""
    api = make_app(admin_token="bootstrap-secret").test_client()
    bearer = {"Authorization": "Bearer bootstrap-secret"}
    for dry_run in (True, False):  # matching is not running here: 503, audited all the same
        api.post("/api/v1/matching/runs", headers=bearer, json={"dry_run": dry_run})
    with sessions(api.application)() as db:
        actions = list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
    assert actions == ["start_run:dry_run", "start_run"]


# Signing in to the dashboard.


def test_sign_in_rotates_the_session_and_sets_safe_cookies(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    staff.create_coordinator(units(app), EMAIL.upper(), "Ali", PASSWORD)
    client = app.test_client()
    assert client.get("/coordinator/tokens").status_code == 303
    before = csrf_token(client)
    answer = sign_in(client)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/coordinator/"
    cookie = answer.headers["Set-Cookie"]
    for part in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert part in cookie
    page = client.get("/coordinator/tokens")
    assert page.status_code == 200
    assert "Signed in as Ali." in page.text
    assert '<html lang="en" dir="ltr">' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert csrf_token(client, "/coordinator/tokens") != before  # a new session
    with sessions(app)() as db:
        record = db.scalars(select(AuditRecord)).one()
    assert (record.action, record.via, record.actor) == ("login", "dashboard", "coordinator")


def test_the_session_cookie_shows_neither_who_nor_the_messages(
    make_app: Callable[..., Any],
) -> None:
    """Issue 16, point 10: the cookie is sealed (Fernet), not only signed: no part of it
    decodes to the coordinator's id or the flash message, and a changed one is no session."""
    import base64
    import binascii
    import zlib

    app = make_app()
    coordinator_id = staff.create_coordinator(units(app), EMAIL, "Ali Khan", PASSWORD)
    client = app.test_client()
    assert sign_in(client).status_code == 303  # flashes "Signed in as Ali Khan."
    sealed = client.get_cookie("session").value  # type: ignore[union-attr]
    assert sealed.startswith("gAAAAA")  # a Fernet token
    for part in sealed.lstrip(".").split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        for data in (raw, *([zlib.decompress(raw)] if raw[:1] == b"x" else [])):
            assert str(coordinator_id).encode() not in data
            assert b"Ali" not in data
    assert "Signed in as Ali Khan." in client.get("/coordinator/tokens").text
    changed = sealed[:-6] + ("AAAAAA" if sealed[-6:] != "AAAAAA" else "BBBBBB")
    client.set_cookie("session", changed)
    assert client.get("/coordinator/tokens").status_code == 303  # to the sign-in page


def test_a_sign_in_goes_back_to_the_page_asked_for_but_never_off_the_site(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    client = app.test_client()
    asked = client.get("/coordinator/audit")
    assert asked.headers["Location"] == "/coordinator/login?next=/coordinator/audit"
    token = csrf_token(client)
    for target, lands in (("/coordinator/audit", "/coordinator/audit"), ("//evil.example", "/")):
        answer = client.post(
            "/coordinator/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert answer.headers["Location"] == lands
        token = csrf_token(client)


def test_unknown_email_wrong_password_and_switched_off_get_the_same_answer(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    staff.create_coordinator(units(app), "off@example.org", "Off", PASSWORD)
    staff.set_active(units(app), "off@example.org", False)
    clients = [app.test_client() for _ in range(3)]
    answers = [
        sign_in(clients[0], "nobody@example.org", PASSWORD),
        sign_in(clients[1], EMAIL, "wrong password!"),
        sign_in(clients[2], "off@example.org", PASSWORD),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.text.replace("wrong password!", "") for a in answers[:2]}) <= 2
    for answer, client in zip(answers, clients, strict=True):
        assert "The email or the password is not right." in answer.text
        assert client.get("/coordinator/tokens").status_code == 303


OFFICE, ELSEWHERE = {"REMOTE_ADDR": "192.0.2.66"}, {"REMOTE_ADDR": "192.0.2.9"}


class StoppedClock:
    """The sign-in page's clock, moved only by the test: a slow machine cannot let a wait
    run out between two steps."""

    moment = datetime.now(UTC)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:
        return cls.moment


def test_a_guesser_is_slowed_down_and_the_owner_still_signs_in(
    make_app: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16, point 4: five wrong passwords from one client are free, then that client
    waits, twice as long each time (ADR 32). Nobody is locked out: the owner signs in from
    another address, and from the guesser's own address in a browser that signed in to the
    account before (its device cookie); a restarted web process forgets nothing."""
    monkeypatch.setattr(sign_in_pages, "datetime", StoppedClock)
    app = make_app()
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    owner = app.test_client()
    assert sign_in(owner, EMAIL, PASSWORD, environ_base=OFFICE).status_code == 303
    guesser = app.test_client()
    statuses = [
        sign_in(guesser, EMAIL, f"guess number {n}", environ_base=OFFICE).status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    waiting = sign_in(guesser, EMAIL, PASSWORD, environ_base=OFFICE)  # even the right one
    assert (waiting.status_code, waiting.headers["Retry-After"]) == (429, "1")
    assert sign_in(owner, EMAIL, PASSWORD, environ_base=OFFICE).status_code == 303
    assert sign_in(app.test_client(), EMAIL, PASSWORD, environ_base=ELSEWHERE).status_code == 303
    restarted = create_app(app.extensions["service"].config).test_client()
    assert sign_in(restarted, EMAIL, "again", environ_base=OFFICE).status_code == 429
    StoppedClock.moment += timedelta(seconds=1.1)  # a slow-down, not a lock: the guesser
    # may try again, then waits longer
    assert sign_in(guesser, EMAIL, "guess 7", environ_base=OFFICE).status_code == 200
    longer = sign_in(guesser, EMAIL, "guess 8", environ_base=OFFICE)
    assert (longer.status_code, longer.headers["Retry-After"]) == (429, "2")


def test_one_address_trying_many_accounts_is_stopped(make_app: Callable[..., Any]) -> None:
    spray = make_app().test_client()
    answers = [
        sign_in(spray, f"n{n}@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.50"})
        for n in range(21)
    ]
    assert [a.status_code for a in answers] == [200] * 20 + [429]


def test_the_hash_is_upgraded_at_sign_in_when_the_parameters_changed(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    coordinator_id = staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    weaker = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    with sessions(app).begin() as db:
        db.get(Coordinator, coordinator_id).password_hash = weaker
    assert sign_in(app.test_client()).status_code == 303
    with sessions(app)() as db:
        stored = db.get(Coordinator, coordinator_id).password_hash
    assert stored != weaker
    assert not accounts.needs_rehash(stored)


def test_an_idle_session_ends(make_app: Callable[..., Any]) -> None:
    app = make_app()
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    client = app.test_client()
    sign_in(client)
    assert client.get("/coordinator/tokens").status_code == 200
    with client.session_transaction() as cookie_session:
        cookie_session["seen"] -= accounts.IDLE_TIMEOUT.total_seconds() + 1
    assert client.get("/coordinator/tokens").status_code == 303


def test_logout_is_a_post_and_ends_even_a_copied_session(make_app: Callable[..., Any]) -> None:
    app = make_app()
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    client = app.test_client()
    sign_in(client)
    copied = app.test_client()
    with client.session_transaction() as original, copied.session_transaction() as copy:
        copy.update(original)
    assert client.get("/coordinator/logout").status_code == 405
    token = csrf_token(client, "/coordinator/tokens")
    out = client.post("/coordinator/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["Location"] == "/coordinator/login"
    assert client.get("/coordinator/tokens").status_code == 303
    assert copied.get("/coordinator/tokens").status_code == 303
    # Signing in again works at once.
    assert sign_in(client).status_code == 303
    assert client.get("/coordinator/tokens").status_code == 200


# Personal tokens.


def token_made_in_the_dashboard(app: Any) -> tuple[Any, Any]:
    """Ali signed in, and the page that shows the token "laptop" just made."""
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    client = app.test_client()
    sign_in(client)
    made = client.post(
        "/coordinator/tokens",
        data={"name": "laptop", "csrf_token": csrf_token(client, "/coordinator/tokens")},
    )
    return client, made


def test_a_token_made_in_the_dashboard_is_shown_once_and_opens_the_api(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    client, made = token_made_in_the_dashboard(app)
    assert made.status_code == 200
    token = re.search(r"(sct_[A-Za-z0-9_-]+)", made.text).group(1)  # type: ignore[union-attr]
    assert token not in client.get("/coordinator/tokens").text
    with sessions(app)() as db:
        stored = db.scalars(select(ApiToken)).one()
    assert stored.digest == accounts.token_digest(token)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    # Past the credential check: the matching service is not running here.
    assert api.get("/api/v1/matches", headers=bearer).status_code == 503
    with sessions(app)() as db:
        assert db.get(ApiToken, stored.id).last_used_at is not None
        used = db.scalars(select(AuditRecord).where(AuditRecord.via == "api")).one()
    assert (used.action, used.route, used.status) == (
        "list_matches",
        "GET /api/v1/matches",
        503,
    )

    revoked = client.post(
        f"/coordinator/tokens/{stored.id}/revoke",
        data={"csrf_token": csrf_token(client, "/coordinator/tokens")},
    )
    assert revoked.status_code == 303
    refused = api.get("/api/v1/matches", headers=bearer)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_works_for_api_token_days_and_says_until_when(
    make_app: Callable[..., Any],
) -> None:
    """Issue 16, point 10: no token opens the API for ever. It is shown with its end, and
    past it the API answers 401 as for a revoked one; the page marks it expired."""
    app = make_app(api_token_days=30)
    client, made = token_made_in_the_dashboard(app)
    until = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    assert f"It works until {until}" in made.text
    token = re.search(r"(sct_[A-Za-z0-9_-]+)", made.text).group(1)  # type: ignore[union-attr]
    bearer = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    assert api.get("/api/v1/matches", headers=bearer).status_code == 503  # let through
    with sessions(app).begin() as db:
        db.scalars(select(ApiToken)).one().expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert api.get("/api/v1/matches", headers=bearer).status_code == 401
    assert "(expired)" in client.get("/coordinator/tokens").text


def test_the_api_refuses_a_switched_off_coordinator_with_403(
    make_app: Callable[..., Any],
) -> None:
    app = make_app(admin_token="bootstrap-secret")
    coordinator_id = staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    token = staff.issue_token(units(app), coordinator_id, "script").token
    staff.set_active(units(app), EMAIL, False)
    api = app.test_client()
    answer = api.get("/api/v1/matches", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"
    for wrong in ("", "Bearer ", "Bearer sct_nope", "bootstrap-secret", "Basic bootstrap-secret"):
        assert api.get("/api/v1/matches", headers={"Authorization": wrong}).status_code == 401
    boot = api.get("/api/v1/matches", headers={"Authorization": "Bearer bootstrap-secret"})
    assert boot.status_code == 503
    with sessions(app)() as db:
        record = db.scalars(select(AuditRecord)).one()
    assert (record.actor, record.coordinator_id) == ("bootstrap", None)


def test_switching_an_account_off_and_on_again_ends_its_old_sessions(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    client = app.test_client()
    assert sign_in(client, EMAIL, PASSWORD).status_code == 303
    assert client.get("/coordinator/tokens").status_code == 200
    staff.set_active(units(app), EMAIL, False)
    staff.set_active(units(app), EMAIL, True)
    assert client.get("/coordinator/tokens").status_code == 303  # to the sign-in page
    assert sign_in(client, EMAIL, PASSWORD).status_code == 303
    assert client.get("/coordinator/tokens").status_code == 200


# The command line, run the way an operator runs it.


def run_cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = process.communicate(stdin, timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_the_cli_creates_a_coordinator_and_prints_a_token_once(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = make_app()
    url = str(app.extensions["service"].config.database_url)
    made = run_cli(
        url, "create-coordinator", "--email", EMAIL, "--name", "Ali", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert EMAIL not in made.stdout + made.stderr
    again = run_cli(
        url, "create-coordinator", "--email", EMAIL, "--name", "Ali", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert again.returncode == 1
    assert "exists already" in again.stderr
    weak = run_cli(
        url, "create-coordinator", "--email", "b@example.org", "--name", "B", "--password-stdin",
        stdin="short\n",
    )  # fmt: skip
    assert weak.returncode == 1
    assert sign_in(app.test_client()).status_code == 303

    printed = run_cli(url, "create-token", "--email", EMAIL, "--name", "script")
    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    assert token.startswith("sct_")
    api = app.test_client()
    assert (
        api.get("/api/v1/matches", headers={"Authorization": f"Bearer {token}"}).status_code == 503
    )

    assert run_cli(url, "deactivate-coordinator", "--email", EMAIL).returncode == 0
    assert (
        api.get("/api/v1/matches", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    )
    assert run_cli(url, "create-token", "--email", "nobody@example.org").returncode == 1
    with sessions(app)() as db:
        actions = [
            r.action for r in db.scalars(select(AuditRecord).where(AuditRecord.via == "cli"))
        ]
    assert actions == ["create_coordinator", "create_token", "deactivate_coordinator"]


def test_with_redis_down_sign_in_works_and_guessing_is_still_limited(
    make_app: Callable[..., Any],
) -> None:
    app = make_app(redis_url="redis://127.0.0.1:9/0")  # nothing listens there
    staff.create_coordinator(units(app), EMAIL, "Ali", PASSWORD)
    assert sign_in(app.test_client()).status_code == 303
    client = app.test_client()
    statuses = [sign_in(client, EMAIL, f"guess number {n}").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]  # counted in the database, not in Redis
