"""The services' internal HTTP APIs refuse every call without the service credential.

Real: each service's Flask app as gunicorn builds it, on its own migrated PostgreSQL database
and a private RabbitMQ vhost. The routes are read from the app's URL map, so a route added
later is covered without touching this test.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from events.bootstrap import bootstrap as events_bootstrap
from events.entrypoints.web import create_app as create_events
from flask import Flask
from matching.bootstrap import bootstrap as matching_bootstrap
from matching.entrypoints.web import create_app as create_matching
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.entrypoints.web import create_app as create_notifications
from sanctuary.runtime import Service
from werkzeug.routing import AnyConverter, Rule, UUIDConverter

pytestmark = pytest.mark.integration
SERVICES = {
    "matching": (matching_bootstrap, create_matching),
    "events": (events_bootstrap, create_events),
    "notifications": (notifications_bootstrap, create_notifications),
}
# Open by design: probes and metrics carry nothing about anyone.
OPEN = {"/healthz", "/readyz", "/metrics"}
TOKEN = "the-right-service-credential"
WRONG = {
    "none": {},
    "wrong token": {"Authorization": "Bearer not-the-credential"},
    "empty bearer": {"Authorization": "Bearer "},
    "token without Bearer": {"Authorization": "not-the-credential"},
    "basic auth": {"Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},
}


@pytest.fixture(params=sorted(SERVICES))
def internal_app(request: Any, make_service: Callable[..., Service]) -> Iterator[Flask]:
    """One service's web app holding the service credential TOKEN."""
    bootstrap, create_app = SERVICES[request.param]
    service = make_service(bootstrap, request.param, internal_token=TOKEN)
    app = create_app(service.config)
    yield app
    app.extensions["service"].engine.dispose()


def samples(rule: Rule) -> list[dict[str, str]]:
    """Values for the rule's variables: every word of an `any(...)`, a fresh uuid otherwise."""
    choices = []
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            choices.append([(name, item) for item in sorted(converter.items)])
        elif isinstance(converter, UUIDConverter):
            choices.append([(name, str(uuid.uuid4()))])
        else:
            choices.append([(name, "1")])
    return [dict(combination) for combination in itertools.product(*choices)]


def calls(app: Flask) -> list[tuple[str, str]]:
    """(method, path) for every method of every route but the open ones and static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule in OPEN or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.extend((method, rule.build(values)[1]) for values in samples(rule))
    return found


def test_every_internal_route_answers_401_without_the_service_credential(
    internal_app: Flask,
) -> None:
    routes = calls(internal_app)
    assert routes, "the URL map should list the internal API"
    assert all(path.startswith("/internal/") for _, path in routes), routes
    client = internal_app.test_client()
    refused = []
    for (method, path), (how, headers) in itertools.product(routes, WRONG.items()):
        answer = client.open(path, method=method, headers=headers, json={})
        if answer.status_code != 401 or answer.mimetype != "application/problem+json":
            refused.append(f"{method} {path} ({how}): {answer.status_code} {answer.mimetype}")
        else:
            assert answer.get_json()["status"] == 401
    assert refused == [], "\n".join(refused)


def test_the_same_routes_answer_with_the_credential(internal_app: Flask) -> None:
    """The check above is not vacuous: with the credential no route answers 401."""
    client = internal_app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    statuses = {
        (method, path): client.open(path, method=method, headers=headers, json={}).status_code
        for method, path in calls(internal_app)
    }
    assert not [call for call, status in statuses.items() if status in (401, 500)], statuses
