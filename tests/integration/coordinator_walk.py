"""Walking every coordinator route of the gateway: the routes found in its URL map, and how
a browser (a form with its CSRF token) or a script (a bearer token) calls each one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, UUIDConverter

PASSWORD = "a long enough passphrase"
# The only coordinator routes open to anyone (an invitation's link carries its own token).
OPEN = {"dashboard.login", "dashboard.accept_invitation", "static"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def coordinator_routes(app: Flask, event_id: str) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) for every coordinator route, one per `any(...)` choice;
    logout last, as it ends the session."""
    calls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        coordinators = ("coordinators.", "dashboard.", "group_admin.", "privacy.")
        if not rule.endpoint.startswith(coordinators) or rule.endpoint in OPEN:
            continue
        choices: list[dict[str, Any]] = [{}]
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                choices = [{**c, name: item} for c in choices for item in sorted(converter.items)]
            elif isinstance(converter, UUIDConverter):
                value = event_id if name == "event_id" else str(uuid.uuid4())
                choices = [{**c, name: value} for c in choices]
            else:
                choices = [{**c, name: "x"} for c in choices]
        for values in choices:
            path = adapter.build(rule.endpoint, values)
            calls += [(m, path, rule.endpoint) for m in sorted(rule.methods - SKIPPED_METHODS)]
    return sorted(calls, key=lambda call: call[2] == "dashboard.logout")


def is_api(endpoint: str) -> bool:
    return endpoint.startswith(("coordinators.", "group_admin.", "privacy."))


def csrf_token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def signed_in(client: FlaskClient, email: str) -> FlaskClient:
    browser = client.application.test_client()
    answer = browser.post(
        "/coordinator/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_token(browser, "/coordinator/login"),
        },
    )
    assert answer.status_code == 303, answer.text
    return browser


def call(client: FlaskClient, method: str, path: str, token: str, bearer: str = "") -> Any:
    """One call as a browser would make it (a form with its CSRF token) or as a script."""
    if bearer:
        body = {} if method != "GET" else None
        auth = {"Authorization": f"Bearer {bearer}"}
        return client.open(path, method=method, headers=auth, json=body)
    data = {"csrf_token": token} if method != "GET" else None
    return client.open(path, method=method, headers={"Accept": "text/html"}, data=data)


@contextmanager
def gateway_before_services(
    gateway_client: Callable[..., Any], matching: Any, events: Any, notifications: Any
) -> Iterator[FlaskClient]:
    """A gateway client routing to matching's, events' and notifications' real internal
    APIs, each served over TCP for the duration."""
    from events.entrypoints.web import create_app as create_events
    from matching.entrypoints.web import create_app as create_matching
    from notifications.entrypoints.web import create_app as create_notifications
    from sanctuary_dev.processes import serving

    with (
        serving(create_matching(matching.config)) as matching_url,
        serving(create_events(events.config)) as events_url,
        serving(create_notifications(notifications.config)) as notifications_url,
    ):
        yield gateway_client(
            matching_url=matching_url,
            events_url=events_url,
            notifications_url=notifications_url,
            cookie_secure=False,
        )
