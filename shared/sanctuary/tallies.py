"""Anonymous tallies (ADR 42): each service counts what it changes, by day, local group, kind
and measure, in the transaction of the change. Counted once with it (the inbox and the outbox
apply each change once), rolled back with it, and never about a person: erasure leaves them.

A use case calls `count`; the counts of a transaction are kept in its session and written at
its commit, sorted by key, one upsert each: no lost update between workers, and no deadlock
from two transactions taking the same rows in another order."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from sanctuary.db import keep, kept

# The day a change is counted on: the network's own (a national network's local groups all
# keep UK time; one zone keeps every service's days the same).
ZONE = ZoneInfo("Europe/London")
NO_GROUP = ""  # the network's list: people and events no local group holds
_KEY = "sanctuary.tallies"
Key = tuple[date, str, str, str]


class TallyMixin:
    """A service's `tallies` table: how many of `measure` about `kind`, on `day`, in `group`."""

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


def day_of(moment: datetime) -> date:
    """The network's day of an aware moment."""
    return moment.astimezone(ZONE).date()


def count(
    session: Session,
    model: type[TallyMixin],
    moment: datetime,
    group_id: uuid.UUID | None,
    kind: str,
    measure: str,
    n: int = 1,
) -> None:
    """Count `n` of `measure` about `kind` in `group_id` (None: no local group) on the day of
    `moment`, with this session's transaction."""
    pending = kept(session, _KEY) or keep(session, _KEY, (model, Counter[Key]()))
    key = (day_of(moment), str(group_id) if group_id else NO_GROUP, kind, measure)
    pending[1][key] += n


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    pending = kept(session, _KEY)
    session.info.pop(_KEY, None)
    if pending is None:
        return
    model, counts = pending
    table = model.__table__
    bind = session.get_bind()
    insert = postgresql_insert if bind.dialect.name == "postgresql" else sqlite_insert
    for (day, group_key, kind, measure), n in sorted(counts.items()):
        if n == 0:
            continue
        row = {"day": day, "group_key": group_key, "kind": kind, "measure": measure, "count": n}
        new = insert(table).values(**row)
        session.execute(
            new.on_conflict_do_update(
                index_elements=[table.c.day, table.c.group_key, table.c.kind, table.c.measure],
                set_={"count": table.c.count + new.excluded.count},
            )
        )


def after(measure: str, since: datetime, moment: datetime) -> str:
    """A histogram's measure: "matched_after:12", the whole days from `since` to `moment`."""
    return f"{measure}:{max((moment - since).days, 0)}"


def read(
    session: Session,
    model: type[TallyMixin],
    start: date,
    end: date,
    groups: Iterable[uuid.UUID | None] | None = None,
) -> list[dict[str, Any]]:
    """The tallies of the days from `start` to `end` (both included), of `groups` (None:
    every group, the network's list too), as plain JSON."""
    query = select(model).where(model.day >= start, model.day <= end)
    if groups is not None:
        keys = [str(g) if g else NO_GROUP for g in groups]
        query = query.where(model.group_key.in_(keys))
    rows = session.scalars(query.order_by(model.day, model.group_key, model.kind, model.measure))
    return [
        {
            "day": row.day.isoformat(),
            "group_id": row.group_key or None,
            "kind": row.kind,
            "measure": row.measure,
            "count": row.count,
        }
        for row in rows
    ]
