"""The events service's configuration, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from sanctuary.config import ServiceConfig


def from_env(env: Mapping[str, str] | None = None) -> ServiceConfig:
    """EVENTS_DATABASE_URL, AMQP_URL and the common variables."""
    return ServiceConfig.from_env("events", env)
