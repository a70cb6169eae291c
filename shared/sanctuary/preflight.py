"""`python -m sanctuary.preflight`: say in one line what is missing before starting anything."""

from __future__ import annotations

import os
import sys

from kombu.utils.url import maybe_sanitize_url

from sanctuary import envelope
from sanctuary.config import DEFAULT_AMQP_URL


def check_broker(url: str, timeout: float = 5) -> str | None:
    """None if the broker at `url` accepts a connection, else a one-line explanation."""
    connection = envelope.connect(url)
    try:
        connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # any failure here means the same thing to the person starting up
        return (
            f"RabbitMQ is not reachable at {maybe_sanitize_url(url)} ({type(exc).__name__}). "
            "Start one with `rabbitmq-server -detached` (or `docker compose up -d rabbitmq`), "
            "or point AMQP_URL at one."
        )
    finally:
        connection.release()
    return None


def main() -> int:
    """Exit 1 with one clear line when the broker is unreachable."""
    problem = check_broker(os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
