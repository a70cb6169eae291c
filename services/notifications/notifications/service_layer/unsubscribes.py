"""One-click unsubscribes (RFC 8058): recorded once however often clicked, and erasable."""

from __future__ import annotations

from datetime import UTC, datetime

from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from notifications.adapters.models import Unsubscribe


def record(uow: UnitOfWork, address_hash: str, category: str) -> None:
    """This address wants no more emails of `category`; the same click twice changes nothing."""
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"address_hash": address_hash, "category": category, "created_at": datetime.now(UTC)}
    uow.session.execute(insert(Unsubscribe).values(values).on_conflict_do_nothing())


def forget(uow: UnitOfWork, address_hash: str) -> int:
    """Erase every category this address unsubscribed from; how many rows went."""
    gone = uow.session.execute(delete(Unsubscribe).where(Unsubscribe.address_hash == address_hash))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
