"""Looking at what a service holds in a test: rows counted or found, messages parked, and
what the worker's metric counted."""

from __future__ import annotations

from typing import Any

from sanctuary import parking
from sanctuary.envelope import connect
from sanctuary.runtime import Service
from sqlalchemy import func, select


def count(service: Service, model: Any) -> int:
    """How many rows `model`'s table holds."""
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def holds(service: Service, model: Any, key: Any) -> bool:
    """Whether `model`'s table has the row with this primary key."""
    with service.sessions() as session:
        return session.get(model, key) is not None


def parked(service: Service) -> list[parking.ParkedMessage]:
    """The messages in the service's parking lot, left there."""
    with connect(service.config.amqp_url) as connection:
        return parking.list_parked(
            connection, service.config.service, service.config.retry_delays_ms
        )


def messages_counted(service: str, message_type: str, outcome: str) -> float:
    """sanctuary_messages_total for this service, type and outcome, in this process."""
    from prometheus_client import REGISTRY

    labels = {"service": service, "type": message_type, "outcome": outcome}
    return REGISTRY.get_sample_value("sanctuary_messages_total", labels) or 0.0
