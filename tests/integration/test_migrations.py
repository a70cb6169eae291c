"""Each service's migrations build exactly the schema its models describe, on PostgreSQL
and on SQLite.

Real: PostgreSQL (a private database per service) and SQLite files.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sanctuary.config import ServiceConfig
from sanctuary.db import make_engine
from sanctuary.migrations import upgrade

pytestmark = pytest.mark.integration
SERVICES = ("gateway", "matching", "events", "notifications")


def differences(service: str, url: str) -> list[object]:
    bootstrap = importlib.import_module(f"{service}.bootstrap").bootstrap
    wired = bootstrap(ServiceConfig(service=service, database_url=url))
    upgrade(wired.migrations, url, wired.metadata)
    upgrade(wired.migrations, url, wired.metadata)  # a second run changes nothing
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), wired.metadata))
    finally:
        engine.dispose()
        wired.engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_postgresql(
    service: str, make_database: Callable[[str], str]
) -> None:
    """No table, column, type or index left out of the migrations."""
    assert differences(service, make_database(service)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_sqlite(service: str, tmp_path: Path) -> None:
    """The embedded default gets the same schema."""
    assert differences(service, f"sqlite:///{tmp_path / service}.db") == []


def test_three_processes_migrating_one_postgresql_database_at_once_all_succeed(
    make_database: Callable[[str], str],
) -> None:
    """Pods starting together (an initContainer each) take turns on an advisory lock."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MATCHING_DATABASE_URL": make_database("matching")}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "matching", "migrate"], env=env, stderr=subprocess.DEVNULL
        )
        for _ in range(3)
    ]
    assert [run.wait(timeout=60) for run in runs] == [0, 0, 0]
