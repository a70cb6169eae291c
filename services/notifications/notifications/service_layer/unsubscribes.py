"""One-click unsubscribes (RFC 8058): recorded once however often clicked, undone from the
person's own data page, and erasable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import EmailCategory
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


def choose(uow: UnitOfWork, address_hash: str, stopped: Iterable[str]) -> None:
    """The person chose on their own data page: exactly the `stopped` categories are off,
    every other optional email is on again."""
    stopped = set(stopped)
    for category in EmailCategory:
        if category in stopped:
            record(uow, address_hash, category)
    uow.session.execute(
        delete(Unsubscribe).where(
            Unsubscribe.address_hash == address_hash, Unsubscribe.category.not_in(stopped)
        )
    )
