"""Fixtures of the gateway's own tests: the real app on a migrated SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway.config import GatewayConfig
from gateway.entrypoints.web import create_app
from sanctuary.migrations import upgrade

# The credentials the gateway's own tests sign links and call the coordinator API with.
TEST_SETTINGS = {"admin_token": "test-admin-token", "link_secret": "test-link-secret"}


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Make the gateway on a migrated SQLite file of its own, with the given settings."""
    made: list[Any] = []

    def make(**settings: Any) -> Any:
        url = f"sqlite:///{tmp_path / f'g{len(made)}.db'}"
        config = GatewayConfig(service="gateway", database_url=url, **{**TEST_SETTINGS, **settings})
        app = create_app(config)
        service = app.extensions["service"]
        upgrade(service.migrations, url, service.metadata)
        made.append(service)
        return app

    yield make
    for service in made:
        service.engine.dispose()
