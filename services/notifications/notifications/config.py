"""The notifications service's configuration, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sanctuary.config import ConfigError, ServiceConfig, env_value


@dataclass(frozen=True)
class NotificationsConfig(ServiceConfig):
    """How to reach the SMTP server, who mail comes from, and how hard to try."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Sanctuary Network <hello@sanctuary.invalid>"
    # With the default RETRY_DELAYS_MS, 20 tries span about 3 h: an SMTP outage that long.
    mail_max_attempts: int = 20
    mail_poll_seconds: float = 0.2
    # How long a mailer's claim on its emails lasts, renewed while it works: a crashed
    # mailer's emails go to another within this.
    mail_claim_seconds: float = 30.0
    # While the SMTP server is down, probes follow 1, 2, 4 … s, never further apart than this.
    mail_probe_max_seconds: float = 15.0
    # Where the links in emails lead: the gateway's public address.
    public_base_url: str = "http://localhost:8000"


def from_env(env: Mapping[str, str] | None = None) -> NotificationsConfig:
    """SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS, MAIL_FROM and the rest."""
    env = os.environ if env is None else env
    return NotificationsConfig(
        **ServiceConfig.common_from_env("notifications", env),  # type: ignore[arg-type]
        smtp_host=env_value("SMTP_HOST", "localhost", env),
        smtp_port=int(env_value("SMTP_PORT", "25", env)),
        smtp_username=env_value("SMTP_USERNAME", "", env),
        smtp_password=env_value("SMTP_PASSWORD", "", env),
        smtp_starttls=env_value("SMTP_STARTTLS", "false", env).lower() in ("1", "true", "yes"),
        mail_from=env_value("MAIL_FROM", NotificationsConfig.mail_from, env),
        mail_max_attempts=int(env_value("MAIL_MAX_ATTEMPTS", "20", env)),
        mail_poll_seconds=float(env_value("MAIL_POLL_SECONDS", "0.2", env)),
        mail_claim_seconds=float(env_value("MAIL_CLAIM_SECONDS", "30", env)),
        mail_probe_max_seconds=float(env_value("MAIL_PROBE_MAX_SECONDS", "15", env)),
        public_base_url=_base_url(env_value("PUBLIC_BASE_URL", _gateway_on_this_machine(env), env)),
    )


def _gateway_on_this_machine(env: Mapping[str, str]) -> str:
    """PUBLIC_BASE_URL unset: the gateway on this machine, on its port (GATEWAY_PORT), so a
    changed port changes every link with it."""
    return f"http://localhost:{env_value('GATEWAY_PORT', '8000', env)}"


def _base_url(raw: str) -> str:
    """PUBLIC_BASE_URL as the links in emails start: the links go into headers and HTML as
    they are, so nothing there may need encoding or escaping."""
    value = raw.rstrip("/")
    unsafe = set(value) & set("\"'<>&\\ ")
    if not value.startswith(("http://", "https://")) or not value.isprintable() or unsafe:
        raise ConfigError(
            "PUBLIC_BASE_URL must be an http(s) address of printable ASCII without spaces, "
            f"quotes, <, >, & or \\, not {raw!r}"
        )
    if not value.isascii():
        raise ConfigError(f"PUBLIC_BASE_URL must be ASCII (punycode a domain): {raw!r}")
    return value
