"""The gateway's API keeps its own description: /api/openapi.json is valid OpenAPI, the
page at /api/docs shows it, and schemathesis finds no 5xx and no answer the document does
not describe (status, content type, headers, body) on any operation.

Real: the gateway app on its own PostgreSQL database with its relay on a private RabbitMQ
vhost, and the matching, events and notifications internal APIs served over TCP on their
own databases
(and, for the 503 case, a gateway whose services are all down).
Generated requests go through the WSGI app in process, as gunicorn would hand them over.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from events.bootstrap import bootstrap as events_bootstrap
from events.entrypoints.web import create_app as create_events
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from matching.bootstrap import bootstrap as matching_bootstrap
from matching.entrypoints.web import create_app as create_matching
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.entrypoints.web import create_app as create_notifications
from openapi_spec_validator import validate
from sanctuary.runtime import Service
from sanctuary_dev.processes import schedule_cafe, serving
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer coordinator-token"}
# Bounded and derandomised: the same requests every run, in well under a minute.
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}
# With the internal APIs down the question is only whether each answer is documented: a
# third of the cases ask it of every operation.
EXAMPLES_OTHERS_DOWN = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
CONFIG = SchemathesisConfig.from_dict(
    {
        # Coordinator calls carry the token; schemathesis also leaves it out, or spoils it,
        # in negative cases, and then expects 401.
        "auth": {"openapi": {"BearerAuth": {"bearer": ADMIN["Authorization"].split()[1]}}},
        # Unknown query parameters are ignored, as is usual on the web: not sent as "invalid".
        "generation": {"allow-extra-parameters": False},
        # A body the JSON Schema allows may still break a rule it cannot say (a UK postcode,
        # "an email or a referrer_email", an event ending after it starts): 422 naming the
        # field is then the right answer to "valid" data. Every other check stays on.
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            }
        },
    }
)


@pytest.fixture
def gateway(
    make_service: Callable[..., Service], gateway_client: Callable[..., Any]
) -> Iterator[Flask]:
    """The gateway routing to real matching, events and notifications internal APIs, without
    rate limits (the generated requests all come from one address)."""
    matching = make_service(matching_bootstrap, "matching", internal_token="s3cret")
    events = make_service(events_bootstrap, "events", internal_token="s3cret")
    notifications = make_service(notifications_bootstrap, "notifications", internal_token="s3cret")
    with (
        serving(create_matching(matching.config)) as matching_url,
        serving(create_events(events.config)) as events_url,
        serving(create_notifications(notifications.config)) as notifications_url,
    ):
        client = gateway_client(
            matching_url=matching_url,
            events_url=events_url,
            notifications_url=notifications_url,
            public_rate_limit="",
        )
        app: Flask = client.application
        app.config["TEST_EVENT_ID"] = schedule_cafe(client, ADMIN)
        yield app


@pytest.fixture
def lonely_gateway(gateway_client: Callable[..., Any]) -> Flask:
    """The gateway with no internal API answering: what it says when the others are down."""
    nobody = "http://127.0.0.1:9"  # the discard port: connection refused
    client = gateway_client(
        matching_url=nobody, events_url=nobody, notifications_url=nobody, public_rate_limit=""
    )
    app: Flask = client.application
    return app


def test_the_openapi_document_is_valid_and_describes_every_api_route(gateway: Flask) -> None:
    document = gateway.test_client().get("/api/openapi.json").get_json()
    validate(document)
    described = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routed = {
        (method, rule.rule.replace("<", "{").replace(">", "}"))
        for rule in gateway.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    routed = {(method, _plain(path)) for method, path in routed}
    assert routed == described
    secured = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method != "parameters" and operation.get("security")
    }
    assert ("POST", "/api/v1/matching/runs") in secured
    assert ("POST", "/api/v1/volunteers") not in secured
    assert document["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    for (method, path), operation in _operations(document):
        assert "default" not in operation["responses"], (method, path)
        if (method, path) in secured:
            assert "401" in operation["responses"], (method, path)
        if method in ("POST", "PATCH") and path != "/api/v1/events/{event_id}/cancel":
            assert "requestBody" in operation, (method, path)


def _plain(path: str) -> str:
    # /api/v1/matches/{uuid:match_id}/{any(approve, reject):action} -> {match_id}/{action}
    parts = []
    for part in path.split("/"):
        if part.startswith("{") and ":" in part:
            part = "{" + part.rsplit(":", 1)[1]
        parts.append(part)
    return "/".join(parts)


def _operations(document: dict[str, Any]) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                yield (method.upper(), path), operation


class _Assets(html.parser.HTMLParser):
    """The scripts and stylesheets a page loads, and any inline code it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found or any(name.startswith("on") for name in found):
            self.inline.append(f"<{tag}> attribute")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if found.get("src"):
                self.loaded.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet":
            self.loaded.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("<script> body")


def test_the_api_page_and_its_assets_load_under_the_strict_csp(gateway: Flask) -> None:
    client = gateway.test_client()
    assert client.get("/api/docs").status_code == 308
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assets = _Assets()
    assets.feed(page.get_data(as_text=True))
    assert assets.inline == []
    assert len(assets.loaded) == 4
    types = {}
    for url in assets.loaded:
        assert url.startswith("/"), "every asset comes from our own origin"
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert len(answer.data) > 100, url
        types[url.rsplit("/", 1)[1]] = answer.mimetype
        answer.close()
    assert types["swagger-ui-bundle.js"] == "text/javascript"
    assert types["swagger-ui.css"] == "text/css"
    assert 'data-spec-url="/api/openapi.json"' in page.get_data(as_text=True)


def run_schemathesis(gateway: Flask, *, others_down: bool = False) -> dict[str, Counter[int]]:
    """Every operation, positive and negative cases; the statuses seen. Fails on any failure.
    With `others_down`, a documented 503 is the right answer, and the only 5xx allowed."""
    excluded = [not_a_server_error, positive_data_acceptance] if others_down else []
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", gateway, config=CONFIG)
    failures: dict[str, str] = {}
    seen: dict[str, Counter[int]] = {}
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        runs: list[tuple[GenerationMode, dict[str, str] | None]] = [
            (GenerationMode.POSITIVE, None),
            (GenerationMode.NEGATIVE, None),
        ]
        if "{event_id}" in operation.path and "TEST_EVENT_ID" in gateway.config:
            # Random ids find nothing; the scheduled event lets the calls go further.
            runs.append((GenerationMode.POSITIVE, {"event_id": gateway.config["TEST_EVENT_ID"]}))
        for mode, known in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=known)

            @given(case=strategy)
            @settings(
                max_examples=(EXAMPLES_OTHERS_DOWN if others_down else EXAMPLES)[mode],
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                response = case.call()
                seen.setdefault(case.operation.label, Counter())[response.status_code] += 1
                assert response.status_code < 500 or others_down, response.status_code
                assert response.status_code in (*range(500), 503), response.status_code
                case.validate_response(response, excluded_checks=excluded)

            tried += 1
            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): positive cases only.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (AssertionError, BaseExceptionGroup) as exc:  # all reported together
                failures[f"{operation.label} ({mode.value}, {known})"] = _first_lines(exc)
    assert tried >= 2 * 20
    assert failures == {}, json.dumps(failures, indent=1, ensure_ascii=False)
    return seen


def test_a_browser_shows_every_operation_on_the_api_page(gateway: Flask) -> None:
    """Debian's Chromium, headless, under the real CSP: Swagger UI starts and lists them all
    (blocked scripts or styles would leave the page empty)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    document = gateway.test_client().get("/api/openapi.json").get_json()
    with serving(gateway) as base:
        shown = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{base}/api/docs/",
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        ).stdout
    assert len(re.findall(r'class="opblock opblock-', shown)) == len(list(_operations(document)))
    assert "Sanctuary network gateway" in shown


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(gateway: Flask) -> None:
    seen = run_schemathesis(gateway)
    # Not all refused: the coordinator token worked and valid bodies went through.
    succeeded = {label for label, statuses in seen.items() if any(200 <= s < 300 for s in statuses)}
    assert {
        "GET /api/v1/volunteers",
        "GET /api/v1/matches",
        "POST /api/v1/matching/runs",
        "GET /api/v1/events/{event_id}/registrations",
        "POST /api/v1/volunteers",
        "POST /api/v1/newcomers",
        "POST /api/v1/events/{event_id}/registrations",
        "GET /api/v1/events",
    } <= succeeded, seen


def test_with_the_internal_apis_down_every_answer_is_still_documented(
    lonely_gateway: Flask,
) -> None:
    seen = run_schemathesis(lonely_gateway, others_down=True)
    unavailable = {label for label, statuses in seen.items() if 503 in statuses}
    assert {"GET /api/v1/events", "POST /api/v1/matching/runs"} <= unavailable, seen
    assert 202 in seen["POST /api/v1/volunteers"], "sign-ups are still accepted"
    # A status read of something the gateway holds asks its owner: 503, as documented.
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", lonely_gateway, config=CONFIG)
    client = lonely_gateway.test_client()
    accepted = client.post(
        "/api/v1/volunteers",
        json={
            "name": "Sam",
            "email": "sam@example.org",
            "postcode": "LS6 1AA",
            "languages": ["en"],
            "availability": [{"day": "sat", "part": "morning"}],
            "consent": True,
            "special_consent": True,
        },
    )
    assert accepted.status_code == 202, accepted.json
    status = client.get(accepted.json["status_url"])
    assert status.status_code == 503
    schema["/api/v1/volunteers/{volunteer_id}"]["GET"].validate_response(status)


def _first_lines(exc: BaseException) -> str:
    return "\n".join(str(exc).splitlines()[:12])
