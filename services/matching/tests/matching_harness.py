"""Matching on a throwaway SQLite file migrated as in production, its internal API, and its
handlers as the worker runs them (behind the erasure guard; the erasure's without a queue
sweep: the integration tests sweep real queues)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from matching.adapters.models import ErasureLog, Outbox, Tombstone
from matching.entrypoints.web import create_app
from matching.service_layer import privacy
from matching.service_layer.handlers import HANDLERS
from sanctuary import contracts as c
from sanctuary import erasure, erasure_guard
from sanctuary.config import ServiceConfig
from sanctuary.migrations import upgrade
from sanctuary.runtime import Service
from sanctuary.unit_of_work import Handler, UnitOfWork

SECRET = "test-link-secret"
TOKEN = {"Authorization": "Bearer s3cret"}


@dataclass
class Matching:
    """The service, its internal API, its guarded handlers, and its erasure handler alone."""

    service: Service
    api: FlaskClient
    handlers: dict[str, Handler]
    erase: Handler

    def apply(self, message: Any, accepted_at: datetime | None = None) -> list[Any]:
        """Apply `message` as the worker would, accepted at `accepted_at`; what it announced."""
        with self.service.sessions.begin() as session:
            uow = UnitOfWork(
                session, "corr", Outbox, message_id=str(uuid.uuid4()), accepted_at=accepted_at
            )
            self.handlers[message.TYPE](message, uow)
            uow.write_outbox()
        return uow.published

    def get(self, model: type[Any], key: uuid.UUID) -> Any:
        with self.service.sessions() as session:
            found = session.get(model, key)
            assert found is not None
            return found


@contextmanager
def matching_on(tmp_path: Path) -> Iterator[Matching]:
    url = f"sqlite:///{tmp_path / 'matching.db'}"
    config = ServiceConfig(
        service="matching",
        database_url=url,
        internal_token="s3cret",
        link_secret=SECRET,
        amqp_url="memory://",  # an in-process broker: the subject read looks in its queues
    )
    app = create_app(config)
    service = app.extensions["service"]
    upgrade(service.migrations, url, service.metadata)
    on_erasure = erasure.handler(
        "matching", partial(privacy.erase, secret=SECRET), Tombstone, ErasureLog, None
    )
    every = {**HANDLERS, c.ErasureRequested.TYPE: on_erasure}
    handlers = erasure_guard.guarded(every, Tombstone, SECRET)
    try:
        yield Matching(service, app.test_client(), handlers, on_erasure)
    finally:
        service.engine.dispose()
