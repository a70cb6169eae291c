"""The gateway's configuration, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sanctuary.config import ConfigError, ServiceConfig, at_least_one, env_value, secret


@dataclass(frozen=True)
class GatewayConfig(ServiceConfig):
    """Where the internal APIs of the other services live, and the coordinator credential."""

    matching_url: str = "http://127.0.0.1:8001"
    events_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    # The bootstrap coordinator credential; "" (unset) switches it off.
    admin_token: str = ""
    # Seconds to wait for an internal API before answering 503.
    upstream_timeout: float = 3.0
    # Public POSTs per client address (a Flask-Limiter string); "" turns the limit off.
    public_rate_limit: str = "30/minute"
    # Where the rate-limit counters live: Redis when set (shared by every web process),
    # this process's memory otherwise.
    redis_url: str = ""
    # Session and CSRF cookies carry Secure; only a plain-HTTP development setup turns it off.
    cookie_secure: bool = True
    # How many reverse proxies in front set X-Forwarded-For (0: trust none).
    proxy_hops: int = 0
    # How long the emailed link to a person's own data (/my-data) works, in minutes.
    my_data_link_minutes: int = 30
    # How long a personal API token works (API_TOKEN_DAYS); make another before it ends.
    api_token_days: int = 90
    # The network's own group, seeded by `migrate` on an empty registry (DEFAULT_GROUP_*).
    default_group: dict[str, object] = field(default_factory=lambda: dict(DEFAULT_GROUP))


# DEFAULT_GROUP_CONTACT unset: emails name this until it is set (`migrate` says how).
PLACEHOLDER_CONTACT = "contact@localhost"
DEFAULT_GROUP: dict[str, object] = {
    "slug": "network",
    "name": "Sanctuary Network",
    "contact": PLACEHOLDER_CONTACT,
    "areas": ("*",),  # everywhere: with one group, every postcode is its
    "timezone": "Europe/London",
    "description": "",
}


def from_env(env: Mapping[str, str] | None = None) -> GatewayConfig:
    """GATEWAY_DATABASE_URL, the internal URLs of the services, ADMIN_TOKEN and the rest."""
    env = os.environ if env is None else env
    return GatewayConfig(
        **ServiceConfig.common_from_env("gateway", env),  # type: ignore[arg-type]
        matching_url=env_value("MATCHING_URL", GatewayConfig.matching_url, env).rstrip("/"),
        events_url=env_value("EVENTS_URL", GatewayConfig.events_url, env).rstrip("/"),
        notifications_url=env_value(
            "NOTIFICATIONS_URL", GatewayConfig.notifications_url, env
        ).rstrip("/"),
        # Unset or empty switches the bootstrap credential off (personal tokens only).
        admin_token=secret(env, "ADMIN_TOKEN", required=False),
        # Empty is meaningful here (no limit), so the default applies only when unset.
        public_rate_limit=env.get("PUBLIC_RATE_LIMIT", GatewayConfig.public_rate_limit).strip(),
        redis_url=env_value("REDIS_URL", "", env),
        cookie_secure=env_value("COOKIE_SECURE", "true", env).lower() not in ("0", "false", "no"),
        proxy_hops=_count("PROXY_HOPS", env),
        my_data_link_minutes=at_least_one(
            env, "MY_DATA_LINK_MINUTES", GatewayConfig.my_data_link_minutes
        ),
        api_token_days=at_least_one(env, "API_TOKEN_DAYS", GatewayConfig.api_token_days),
        default_group=_default_group(env),
    )


def _default_group(env: Mapping[str, str]) -> dict[str, object]:
    """DEFAULT_GROUP_SLUG, _NAME, _CONTACT, _AREAS (space or comma separated), _TIMEZONE and
    _DESCRIPTION; each unset one keeps its default."""
    group = dict(DEFAULT_GROUP)
    for key in group:
        raw = env_value(f"DEFAULT_GROUP_{key.upper()}", "", env)
        if raw:
            group[key] = tuple(raw.replace(",", " ").split()) if key == "areas" else raw
    return group


def _count(name: str, env: Mapping[str, str]) -> int:
    raw = env_value(name, "0", env)
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)
