"""Configuration comes from the environment, with documented defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from sanctuary.config import DEFAULT_AMQP_URL, ConfigError, ServiceConfig
from sanctuary_dev.secrets import with_secrets


def test_defaults_need_no_variable_at_all(tmp_path: Path) -> None:
    """A SQLite file per service under VAR_DIR, the local broker, the standard delays."""
    config = ServiceConfig.from_env("matching", with_secrets({"VAR_DIR": str(tmp_path)}))
    assert config.database_url == f"sqlite:///{tmp_path / 'matching.db'}"
    assert config.amqp_url == DEFAULT_AMQP_URL
    assert config.retry_delays_ms == (1000, 10000, 60000, 600000)


def test_each_service_reads_its_own_database_url() -> None:
    """MATCHING_DATABASE_URL is matching's and nobody else's."""
    env = {
        "MATCHING_DATABASE_URL": "postgresql+psycopg://m@db/matching",
        "EVENTS_DATABASE_URL": "postgresql+psycopg://e@db/events",
    }
    assert ServiceConfig.from_env("matching", with_secrets(env)).database_url.endswith("/matching")
    assert ServiceConfig.from_env("events", with_secrets(env)).database_url.endswith("/events")


def test_retry_delays_can_be_set() -> None:
    """Comma-separated milliseconds."""
    config = ServiceConfig.from_env("events", with_secrets({"RETRY_DELAYS_MS": "500, 5000"}))
    assert config.retry_delays_ms == (500, 5000)


@pytest.mark.parametrize("bad", ["soon", "0", "-5,10"])
def test_unusable_retry_delays_are_refused_at_start(bad: str) -> None:
    """A typo stops the process with the variable's name, not at the first failure."""
    with pytest.raises(ConfigError, match="RETRY_DELAYS_MS"):
        ServiceConfig.from_env("events", with_secrets({"RETRY_DELAYS_MS": bad}))


def test_worker_batch_defaults_to_one_message_a_transaction() -> None:
    """WORKER_BATCH is read as a whole number; unset, each message has its own transaction."""
    assert ServiceConfig.from_env("events", with_secrets({})).worker_batch == 1
    assert ServiceConfig.from_env("events", with_secrets({"WORKER_BATCH": "20"})).worker_batch == 20


@pytest.mark.parametrize("bad", ["0", "-3", "2.5", "many"])
def test_an_unusable_worker_batch_is_refused_at_start(bad: str) -> None:
    """A batch needs at least one message."""
    with pytest.raises(ConfigError, match="WORKER_BATCH"):
        ServiceConfig.from_env("events", with_secrets({"WORKER_BATCH": bad}))


@pytest.mark.parametrize("name", ["INTERNAL_TOKEN", "LINK_SECRET"])
def test_a_process_refuses_to_start_without_its_secrets(name: str, tmp_path: Path) -> None:
    """No secret is made up: an unset one stops the process with its name and how to make
    one (`make run` makes them in var/)."""
    env = with_secrets({"VAR_DIR": str(tmp_path)})
    del env[name]
    with pytest.raises(ConfigError, match=f"{name} is not set"):
        ServiceConfig.from_env("events", env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTERNAL_TOKEN", "dev-internal-token"),
        ("LINK_SECRET", "dev-link-secret"),
        ("INTERNAL_TOKEN", "change-me-internal"),
        ("LINK_SECRET", "CHANGE-ME-links"),
        ("INTERNAL_TOKEN", "s3cret"),
    ],
)
def test_a_process_refuses_a_published_or_short_secret(name: str, value: str) -> None:
    """The defaults earlier releases shipped, compose's placeholders and anything short."""
    with pytest.raises(ConfigError, match=name):
        ServiceConfig.from_env("matching", with_secrets({name: value}))


def test_a_secret_make_run_kept_in_var_is_found_there(tmp_path: Path) -> None:
    """A command run beside `make run` (create-coordinator, parked, erasures) needs no
    variable: it reads var/internal-token and var/link-secret; the environment wins."""
    (tmp_path / "internal-token").write_text("kept-internal-token-0123\n")
    (tmp_path / "link-secret").write_text("kept-link-secret-01234\n")
    config = ServiceConfig.from_env("events", {"VAR_DIR": str(tmp_path)})
    assert (config.internal_token, config.link_secret) == (
        "kept-internal-token-0123",
        "kept-link-secret-01234",
    )
    env = {"VAR_DIR": str(tmp_path), "LINK_SECRET": "from-the-environment-0"}
    assert ServiceConfig.from_env("events", env).link_secret == "from-the-environment-0"
