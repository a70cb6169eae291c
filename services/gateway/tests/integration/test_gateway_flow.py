"""The gateway's public API with the matching service behind it, over real HTTP.

Real: RabbitMQ (a private vhost), PostgreSQL (private databases), the matching internal API
served over TCP, the gateway relay and the matching worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.config import GatewayConfig
from gateway.entrypoints.web import create_app as create_gateway
from sanctuary.runtime import Service
from sanctuary_dev.processes import running_relay, running_worker, wait_until

pytestmark = pytest.mark.integration
SIGN_UP = {
    "name": "Amina",
    "email": "amina@example.org",
    "postcode": "LS6 1AA",
    "languages": ["en", "ar"],
    "availability": [{"day": "sat", "part": "morning"}],
    "consent": True,
    "special_consent": True,
}


@pytest.fixture
def gateway(make_service: Callable[..., Service], matching_url: str) -> Service:
    """The gateway on PostgreSQL, routing to that matching API."""
    return make_service(
        gateway_bootstrap,
        "gateway",
        GatewayConfig,
        internal_token="s3cret",
        matching_url=matching_url,
    )


@pytest.fixture
def client(gateway: Service) -> Iterator[FlaskClient]:
    """A client of the gateway app built on the same configuration."""
    config = gateway.config
    assert isinstance(config, GatewayConfig)
    app = create_gateway(config)
    yield app.test_client()
    app.extensions["service"].engine.dispose()


def test_a_sign_up_is_received_then_applied_once_matching_has_it(
    client: FlaskClient, gateway: Service, matching: Service
) -> None:
    """202 at once; the status says received until matching records the volunteer."""
    accepted = client.post("/api/v1/volunteers", json=SIGN_UP)
    assert accepted.status_code == 202
    status_url = accepted.json["status_url"]
    received = {
        "id": accepted.json["id"],
        "reference": accepted.json["reference"],
        "status": "received",
        "group": None,
    }
    assert client.get(status_url).json == received
    with running_relay(gateway), running_worker(matching):
        wait_until(lambda: client.get(status_url).json["status"] == "applied")


def test_the_status_shows_no_personal_data(client: FlaskClient) -> None:
    """Only the id and the status, whoever asks."""
    accepted = client.post("/api/v1/volunteers", json=SIGN_UP)
    body = client.get(accepted.json["status_url"]).get_data(as_text=True)
    assert "amina" not in body.lower()
    assert "LS6" not in body


def test_the_internal_api_refuses_callers_without_the_service_credential(
    matching_url: str,
) -> None:
    """The gateway's credential opens it; no credential or a wrong one gets 401."""
    import requests

    url = f"{matching_url}/internal/v1/volunteers/00000000-0000-4000-8000-000000000000"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    answer = requests.get(url, headers={"Authorization": "Bearer s3cret"}, timeout=5)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"
