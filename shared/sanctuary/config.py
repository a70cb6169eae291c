"""Reading configuration from the environment: the one place every process does it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sanctuary.retention import Retention
from sanctuary.validity import Validity

DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"
DEFAULT_RETRY_DELAYS_MS = (1_000, 10_000, 60_000, 600_000)


class ConfigError(ValueError):
    """A variable is set to something the service cannot use."""


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


# Secrets every deployment sets itself. The values this project ever shipped as defaults are
# public, so a process refuses them as it refuses a secret unset or too short to guess.
KNOWN_SECRETS = frozenset({"dev-internal-token", "dev-link-secret", "dev-admin-token"})
SECRET_MIN_LENGTH = 16


def secret(env: Mapping[str, str], name: str, *, required: bool = True) -> str:
    """A secret from the environment, else from the file `make run` keeps it in
    (`$VAR_DIR/internal-token` for INTERNAL_TOKEN), so a command run beside `make run`
    finds it too.

    Unset is refused when `required` (else it means "switched off", answered as ""); a known
    default, a `change-me` placeholder or fewer than SECRET_MIN_LENGTH characters always are.
    Set but empty is "unset", and does not look in the file.
    """
    if name in env:
        value = env[name].strip()
    else:
        kept = Path(_get(env, "VAR_DIR", "var")) / name.lower().replace("_", "-")
        value = kept.read_text().strip() if kept.is_file() else ""
    if not value:
        if required:
            raise ConfigError(
                f"{name} is not set: give it a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return ""
    if value in KNOWN_SECRETS or value.lower().startswith("change-me"):
        raise ConfigError(f"{name} is a published default: set a random value of your own")
    if len(value) < SECRET_MIN_LENGTH:
        raise ConfigError(f"{name} must be at least {SECRET_MIN_LENGTH} characters long")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(env, name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc


def at_least_one(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of at least 1 (a count, minutes, days); unset or empty: `default`."""
    raw = _get(env, name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _delays(env: Mapping[str, str]) -> tuple[int, ...]:
    raw = _get(env, "RETRY_DELAYS_MS", ",".join(map(str, DEFAULT_RETRY_DELAYS_MS)))
    try:
        delays = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"RETRY_DELAYS_MS must be comma-separated integers, not {raw!r}") from exc
    if not delays or any(d <= 0 for d in delays):
        raise ConfigError("RETRY_DELAYS_MS needs at least one positive delay")
    return delays


def default_database_url(service: str, env: Mapping[str, str]) -> str:
    """Embedded default: one SQLite file per service under VAR_DIR (default ./var)."""
    var_dir = Path(_get(env, "VAR_DIR", "var")).resolve()
    return f"sqlite:///{var_dir / (service + '.db')}"


@dataclass(frozen=True)
class ServiceConfig:
    """What every process of every service needs; services extend it with their own fields."""

    service: str
    database_url: str
    amqp_url: str = DEFAULT_AMQP_URL
    # Set by every deployment (INTERNAL_TOKEN, LINK_SECRET: see `secret`); the empty defaults
    # serve tests that build a configuration by hand.
    internal_token: str = ""
    link_secret: str = ""
    log_level: str = "INFO"
    relay_poll_seconds: float = 0.2
    outbox_retention_hours: float = 72.0
    retry_delays_ms: tuple[int, ...] = DEFAULT_RETRY_DELAYS_MS
    prefetch: int = 10
    # Messages a worker applies in one transaction (1: each in its own; see consumer.py).
    worker_batch: int = 1
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # How long a worker, relay, clock or mailer waits at start for its broker and database.
    startup_wait_seconds: float = 300.0
    # The retention schedule (sanctuary.retention): each service carries out its part.
    retention: Retention = field(default_factory=Retention)
    # How long a volunteer's DBS check and safeguarding training last (sanctuary.validity).
    validity: Validity = field(default_factory=Validity)

    @classmethod
    def common_from_env(
        cls, service: str, env: Mapping[str, str] | None = None
    ) -> dict[str, object]:
        """The common fields as keyword arguments, for a subclass's from_env to extend."""
        env = os.environ if env is None else env
        metrics_host, metrics_port = metrics_address(env)
        return {
            "service": service,
            "database_url": _get(
                env, f"{service.upper()}_DATABASE_URL", default_database_url(service, env)
            ),
            "amqp_url": _get(env, "AMQP_URL", DEFAULT_AMQP_URL),
            "internal_token": secret(env, "INTERNAL_TOKEN"),
            "link_secret": secret(env, "LINK_SECRET"),
            "log_level": _get(env, "LOG_LEVEL", "INFO").upper(),
            "relay_poll_seconds": _float(env, "RELAY_POLL_SECONDS", 0.2),
            "outbox_retention_hours": _float(env, "OUTBOX_RETENTION_HOURS", 72.0),
            "retry_delays_ms": _delays(env),
            "prefetch": int(_float(env, "WORKER_PREFETCH", 10)),
            "worker_batch": at_least_one(env, "WORKER_BATCH", 1),
            "metrics_host": metrics_host,
            "metrics_port": metrics_port,
            "startup_wait_seconds": _float(env, "STARTUP_WAIT_SECONDS", 300.0),
            "retention": Retention.from_env(env),
            "validity": Validity.from_env(env),
        }

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> ServiceConfig:
        """Build the configuration of `service` from the environment."""
        return cls(**cls.common_from_env(service, env))  # type: ignore[arg-type]


def metrics_address(env: Mapping[str, str]) -> tuple[str, int | None]:
    """Where a process serves its metrics: METRICS_BIND_HOST (else WEB_BIND_HOST, else
    loopback) and METRICS_PORT (unset: nowhere)."""
    host = _get(env, "METRICS_BIND_HOST", _get(env, "WEB_BIND_HOST", "127.0.0.1"))
    return host, int(_float(env, "METRICS_PORT", 0)) or None


def env_value(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    """One variable with its default, for the service-specific fields."""
    return _get(os.environ if env is None else env, name, default)
