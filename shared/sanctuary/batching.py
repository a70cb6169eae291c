"""A batch of messages applied in one transaction (the worker's batch mode, ADR 0020): one
inbox query, each new message handled and recorded, the held rows of the whole batch inserted
together (ADR 0021), one commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from kombu.message import Message
from sqlalchemy import Table, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from sanctuary import envelope
from sanctuary.db import SessionFactory
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.unit_of_work import Handler, UnitOfWork


@dataclass(frozen=True)
class Delivery:
    """A received message that passed its checks: its envelope, event and handler."""

    message: Message
    env: envelope.Envelope
    event: Any
    handler: Handler

    @property
    def log_extra(self) -> dict[str, str]:
        """The ids every log line about this message carries."""
        return {"message_id": self.env.message_id, "correlation_id": self.env.correlation_id}


def handle(
    session: Session,
    outbox_model: type[OutboxMixin],
    delivery: Delivery,
    batch_rows: dict[type[Any], list[dict[str, Any]]] | None = None,
) -> None:
    """Apply one message with its handler, through a unit of work of its own in `session`'s
    transaction: its facts go to the outbox before the commit. The single path and the batch
    path both apply a message here."""
    env = delivery.env
    uow = UnitOfWork(
        session,
        env.correlation_id,
        outbox_model,
        message_id=env.message_id,
        accepted_at=datetime.fromtimestamp(env.timestamp, UTC) if env.timestamp else None,
        batch_rows=batch_rows,
    )
    delivery.handler(delivery.event, uow)
    uow.write_outbox()


def apply_together(
    sessions: SessionFactory,
    inbox: type[InboxMixin],
    outbox_model: type[OutboxMixin],
    batch: Sequence[Delivery],
) -> list[bool]:
    """Handle each new delivery and record its inbox row, all in one transaction; for each
    delivery, whether it was applied (False: in the inbox already, or earlier in the batch)."""
    with sessions.begin() as session:
        done = set(
            session.scalars(
                select(inbox.message_id).where(
                    inbox.message_id.in_({d.env.message_id for d in batch})
                )
            )
        )
        _prefetch(session, [d for d in batch if d.env.message_id not in done])
        applied = []
        rows: dict[type[Any], list[dict[str, Any]]] = {}
        for delivery in batch:
            env = delivery.env
            is_new = env.message_id not in done
            if is_new:
                done.add(env.message_id)
                handle(session, outbox_model, delivery, batch_rows=rows)
                rows.setdefault(inbox, []).append(inbox_values(env))
            applied.append(is_new)
        # The objects handlers added to the session first (as any statement would flush
        # them), then the held rows: one INSERT a table, in the order of their foreign keys.
        session.flush()
        for model in _in_foreign_key_order(rows):
            session.execute(insert(model), rows[model])
    return applied


def _prefetch(session: Session, batch: Sequence[Delivery]) -> None:
    # The erasure guard's check for every new message at once (sanctuary.erasure_guard): the
    # handlers that have it share one service's tombstones.
    checked = [d for d in batch if hasattr(d.handler, "prefetch")]
    if checked:
        checked[0].handler.prefetch(session, [d.event for d in checked])  # type: ignore[attr-defined]


def inbox_values(env: envelope.Envelope) -> dict[str, Any]:
    """The inbox row that marks `env` as applied, as column values."""
    return {"message_id": env.message_id, "type": env.type, "processed_at": datetime.now(UTC)}


def _in_foreign_key_order(models: Iterable[type[Any]]) -> list[type[Any]]:
    """`models` in the order their tables can be inserted into (referenced tables first)."""
    tables = {cast(Table, sa_inspect(model).local_table): model for model in models}
    if not tables:
        return []
    ordered = [tables[t] for t in next(iter(tables)).metadata.sorted_tables if t in tables]
    if len(ordered) != len(tables):  # models of another MetaData would be left out
        raise ValueError("held rows of tables outside the service's metadata")
    return ordered
