"""The unit of work: the one way every service changes its state and announces it.

A use case gets a `UnitOfWork` and does two things with it: changes rows through
`uow.session` and announces facts with `uow.publish(message)`. The facts are checked against
their contract at once and written to the outbox when the transaction commits, in the same
transaction as the change, so a crash keeps both or neither (the relay publishes them later).
The correlation id follows one person's action through every service: the unit of work
carries it, so no use case takes it as an argument.

Who opens one:
- a web route, a clock tick or a CLI command: `with service.unit_of_work(correlation_id):`
  (the web's `sanctuary.web.unit_of_work()` passes the request's correlation id), which
  commits on a normal exit and rolls everything back on an exception;
- the worker, for each message: it adds the inbox row and commits (`sanctuary.consumer`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sanctuary import contracts, envelope
from sanctuary.db import SessionFactory
from sanctuary.messaging_models import OutboxMixin


@dataclass
class UnitOfWork:
    """One transaction's worth of work: the open session, the facts it announces, and the
    correlation id they carry."""

    session: Session
    correlation_id: str
    outbox_model: type[OutboxMixin]
    # The id of the message being applied, when a worker opened this unit of work.
    message_id: str | None = None
    # When that message was first accepted (its envelope timestamp): an erased person's
    # address voids only messages accepted before the erasure (`sanctuary.erasure`).
    accepted_at: datetime | None = None
    # Set while a worker applies the message in a batch: the new rows of the whole batch, by
    # model, inserted together before its commit (see `insert`, and ADR 0021). If the batch
    # fails, each message is applied again on its own, so a handler may skip a lookup that a
    # unique key also enforces: a clash fails the batch instead, and the lookup runs on retry.
    batch_rows: dict[type[Any], list[dict[str, Any]]] | None = None
    # Every fact announced so far, in order: what a use case's test looks at.
    published: list[Any] = field(default_factory=list)
    _outbox_rows: list[OutboxMixin] = field(default_factory=list, repr=False)

    @property
    def batched(self) -> bool:
        """Whether the message is applied in a batch (see `batch_rows`)."""
        return self.batch_rows is not None

    def publish(self, message: Any) -> str:
        """Announce `message` when this unit of work commits; returns its message id. The
        message is checked against its contract now, so a bad one fails the use case here."""
        message_type, body = contracts.dump(message)
        row = self.outbox_model(
            message_id=envelope.new_message_id(),
            type=message_type,
            body=json.dumps(body, separators=(",", ":")),
            correlation_id=self.correlation_id,
            schema_version=contracts.schema_version(message_type),
            created_at=datetime.now(UTC),
        )
        self.published.append(message)
        self._outbox_rows.append(row)
        return row.message_id

    def insert(self, model: type[Any], **values: Any) -> None:
        """Add a new row of `model`. In a batch the row is held, and the batch's rows go in one
        INSERT a table before its commit, without the ORM's unit of work (ADR 0021); alone, it
        is added to the session like any object. A row added so cannot be read back, changed,
        deleted or pointed to by a session object in the same transaction: a handler that must
        do that adds its object to the session."""
        if self.batch_rows is None:
            self.session.add(model(**values))
        else:
            self.batch_rows.setdefault(model, []).append(values)

    def write_outbox(self) -> None:
        """Put the announced facts in the outbox; the transaction's commit follows."""
        self.session.add_all(self._outbox_rows)
        self._outbox_rows = []


UnitOfWorkFactory = Callable[[], AbstractContextManager[UnitOfWork]]
# A message handler: applies one message through the worker's unit of work.
Handler = Callable[[Any, UnitOfWork], None]


def new_correlation_id() -> str:
    """A correlation id for an action that starts here (a clock tick, a command)."""
    return str(uuid.uuid4())


@contextmanager
def unit_of_work(
    sessions: SessionFactory,
    outbox_model: type[OutboxMixin],
    correlation_id: str | None = None,
) -> Iterator[UnitOfWork]:
    """Open a transaction; on a normal exit write the announced facts to the outbox and
    commit, on an exception roll back both the change and the facts."""
    with sessions.begin() as session:
        uow = UnitOfWork(session, correlation_id or new_correlation_id(), outbox_model)
        yield uow
        uow.write_outbox()
