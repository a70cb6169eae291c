"""Fixtures for every test in the repository.

What is real: RabbitMQ and PostgreSQL are the servers of this machine (AMQP_URL and
TEST_POSTGRES_URL, defaulting to localhost), each test in its own vhost and databases; where
no server is given and a Docker engine is reachable, testcontainers starts them instead.
Nothing about the broker or the database is faked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sanctuary.config import DEFAULT_AMQP_URL, ServiceConfig
from sanctuary.migrations import upgrade
from sanctuary.runtime import Service
from sanctuary_dev.secrets import TEST_SECRETS
from sanctuary_dev.servers import (
    DEFAULT_TEST_POSTGRES_URL,
    TEST_RETRY_DELAYS_MS,
    VhostPool,
    private_database,
)

INTERNAL_TOKEN = "s3cret"  # the service credential the tests' gateways and services share

# The processes a test starts read their secrets from the environment, as in production,
# and refuse to start without them: this run's own, unless the caller set some.
for _name, _value in TEST_SECRETS.items():
    os.environ.setdefault(_name, _value)


def _docker_reachable() -> bool:
    try:
        import docker  # type: ignore[import-not-found]

        docker.from_env().ping()
    except Exception:  # no SDK, no socket, no engine: all mean "not here"
        return False
    return True


@pytest.fixture(scope="session")
def broker_base_url() -> Iterator[str]:
    """The AMQP URL of a RabbitMQ server the tests may make vhosts on."""
    if "AMQP_URL" in os.environ or not _docker_reachable():
        yield os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
        return
    from testcontainers.rabbitmq import RabbitMqContainer  # type: ignore[import-not-found]

    with RabbitMqContainer("rabbitmq:3.13") as container:
        params = container.get_connection_params()
        yield f"amqp://guest:guest@{params.host}:{params.port}/%2F"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL URL with the right to create databases."""
    if "TEST_POSTGRES_URL" in os.environ or not _docker_reachable():
        yield os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
        return
    from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

    with PostgresContainer("postgres:16", driver="psycopg") as container:
        yield container.get_connection_url()


@pytest.fixture(scope="session")
def vhost_pool(broker_base_url: str) -> Iterator[VhostPool]:
    """Private vhosts, made and deleted in batches (one rabbitmqctl call each). Parallel
    workers (pytest-xdist) share the broker: each keeps a smaller batch, so that no more
    vhosts are alive at once than with one (see VhostPool)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    pool = VhostPool(broker_base_url, batch=max(8 // workers, 2))
    yield pool
    pool.close()


@pytest.fixture
def amqp_url(vhost_pool: VhostPool) -> Iterator[str]:
    """A private, empty RabbitMQ vhost for this test."""
    url = vhost_pool.take()
    yield url
    vhost_pool.give_back(url)


@pytest.fixture
def make_database(postgres_admin_url: str) -> Iterator[Callable[[str], str]]:
    """Make private PostgreSQL databases for this test, by service name."""
    with ExitStack() as stack:
        yield lambda service: stack.enter_context(private_database(postgres_admin_url, service))


@pytest.fixture
def make_service(
    amqp_url: str, make_database: Callable[[str], str]
) -> Iterator[Callable[..., Service]]:
    """Wire a service on its own migrated PostgreSQL database and this test's vhost."""
    made: list[Service] = []

    def make(
        bootstrap: Callable[..., Service],
        name: str,
        config_type: type = ServiceConfig,
        **overrides: object,
    ) -> Service:
        settings = {
            "retry_delays_ms": TEST_RETRY_DELAYS_MS,
            "relay_poll_seconds": 0.05,
            **overrides,
        }
        config = config_type(
            service=name, database_url=make_database(name), amqp_url=amqp_url, **settings
        )
        service = bootstrap(config)
        upgrade(service.migrations, config.database_url, service.metadata)
        made.append(service)
        return service

    yield make
    for service in made:
        service.engine.dispose()


@pytest.fixture
def matching(make_service: Callable[..., Service]) -> Service:
    """Matching on its own PostgreSQL database and this test's vhost."""
    from matching.bootstrap import bootstrap

    return make_service(bootstrap, "matching", internal_token=INTERNAL_TOKEN)


@pytest.fixture
def events(make_service: Callable[..., Service]) -> Service:
    """Events on its own PostgreSQL database and this test's vhost."""
    from events.bootstrap import bootstrap

    return make_service(
        bootstrap, "events", internal_token=INTERNAL_TOKEN, link_secret="test-events-link-secret"
    )


@pytest.fixture
def notifications(make_service: Callable[..., Service]) -> Service:
    """Notifications on its own PostgreSQL database and this test's vhost (a test module of
    its own service may mean another, with its mail sink)."""
    from notifications.bootstrap import bootstrap
    from notifications.config import NotificationsConfig

    return make_service(
        bootstrap, "notifications", NotificationsConfig, internal_token=INTERNAL_TOKEN
    )


@pytest.fixture
def matching_url(matching: Service) -> Iterator[str]:
    """Matching's internal API on a real port, one thread per request."""
    from matching.entrypoints.web import create_app
    from sanctuary_dev.processes import serving

    with serving(create_app(matching.config)) as url:
        yield url


@pytest.fixture
def events_url(events: Service) -> Iterator[str]:
    """The events internal API on a real port, one thread per request."""
    from events.entrypoints.web import create_app
    from sanctuary_dev.processes import serving

    with serving(create_app(events.config)) as url:
        yield url


@pytest.fixture
def gateway_client(make_service: Callable[..., Service]) -> Iterator[Callable[..., Any]]:
    """Make a client of the gateway on its own PostgreSQL database, routing to the given
    internal APIs (e.g. matching_url=...), its relay running until the test ends."""
    from gateway.bootstrap import bootstrap
    from gateway.config import GatewayConfig
    from gateway.entrypoints.web import create_app
    from sanctuary_dev.processes import running_relay

    with ExitStack() as stack:

        def make(**upstreams: str) -> Any:
            service = make_service(
                bootstrap,
                "gateway",
                GatewayConfig,
                internal_token=INTERNAL_TOKEN,
                admin_token="coordinator-token",
                **upstreams,
            )
            assert isinstance(service.config, GatewayConfig)
            app = create_app(service.config)
            stack.callback(app.extensions["service"].engine.dispose)
            stack.enter_context(running_relay(service))
            return app.test_client()

        yield make


# The test files that take longest, in the order they should start. Under xdist
# (`--dist loadfile`) each worker takes the next file as it frees up: a long file taken last
# would leave one worker finishing it alone for minutes, so they go first and the many
# short files fill the end.
LONGEST_FIRST = (
    "tests/integration/test_api_contract.py",
    "tests/e2e/",
    "tests/browser/",
    "tests/integration/",
    "services/events/tests/integration/",
    "shared/tests/integration/",
    "services/notifications/tests/integration/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next(
            (i for i, start in enumerate(LONGEST_FIRST) if path.startswith(start)),
            len(LONGEST_FIRST),
        )

    items.sort(key=rank)  # stable: each file's tests stay together and in order
