"""Anonymous tallies (ADR 42): each service counts what it changes, by day, local group, kind
and measure, in the transaction of the change. Counted once with it (the inbox and the outbox
apply each change once), rolled back with it, and never about a person: erasure leaves them.

A use case calls `count`; the counts of a transaction are kept in its session and written at
its commit, sorted by key, one upsert each: no lost update between workers, and no deadlock
from two transactions taking the same rows in another order."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Date, Integer, String, event, func, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from sanctuary.db import keep, kept
from sanctuary.when import NETWORK_ZONE

# The day a change is counted on: the network's own (one zone keeps every service's days the
# same).
ZONE = NETWORK_ZONE
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
    pending[1][key(moment, group_id, kind, measure)] += n


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    if _TRACKED and (session.new or session.dirty or session.deleted):
        session.flush()  # new rows' statuses are counted as they are flushed (`track`)
    pending = kept(session, _KEY)
    session.info.pop(_KEY, None)
    if pending is not None:
        write(session, pending[0], pending[1])


def write(on: Session | Connection, model: type[TallyMixin], counts: Mapping[Key, int]) -> None:
    """Add `counts` to the tallies in `on`'s transaction: sorted by key, one upsert each."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = on.get_bind().dialect if isinstance(on, Session) else on.dialect
    insert = postgresql_insert if dialect.name == "postgresql" else sqlite_insert
    for (day, group_key, kind, measure), n in sorted(counts.items()):
        if n == 0:
            continue
        row = {"day": day, "group_key": group_key, "kind": kind, "measure": measure, "count": n}
        new = insert(table).values(**row)
        on.execute(
            new.on_conflict_do_update(
                index_elements=[table.c.day, table.c.group_key, table.c.kind, table.c.measure],
                set_={"count": table.c.count + new.excluded.count},
            )
        )


def key(moment: datetime, group_id: uuid.UUID | None, kind: str, measure: str) -> Key:
    """The tally `measure` about `kind` in `group_id` on the network's day of `moment`."""
    return (day_of(moment), str(group_id) if group_id else NO_GROUP, kind, measure)


# Stocks ("how many are waiting on that day"): a row's status counted as `now:<status>`, +1
# where it enters a (status, group) and -1 where it leaves one; the sum up to a day is how
# many stood there that day. Tracked models: {model: (its service's tally model, kind)}.
_TRACKED: dict[type, tuple[type[TallyMixin], str]] = {}
NOW = "now"


def track(model: type, tally: type[TallyMixin], kind: str) -> None:
    """Keep the stock of `model`'s rows by `status` and `group_id` in `tally` (as `kind`),
    whatever changes them: a new row when it is flushed, a change as it is made."""
    _TRACKED[model] = (tally, kind)
    for column in ("status", "group_id"):
        event.listen(getattr(model, column), "set", _moved(column), active_history=True)


def stock(status: str) -> str:
    """The measure of a stock: "now:waiting"."""
    return f"{NOW}:{status}"


def _moved(column: str) -> Any:
    def moved(target: Any, value: Any, old: Any, _initiator: Any) -> None:
        state = inspect(target)
        session = state.session
        if session is None or not state.persistent or value == old:
            return  # a row not in the database yet is counted when it is flushed
        before = {"status": target.status, "group_id": target.group_id, column: old}
        after = {**before, column: value}
        _move(session, type(target), before, -1)
        _move(session, type(target), after, +1)

    return moved


def _move(session: Session, model: type, row: Mapping[str, Any], n: int) -> None:
    tally, kind = _TRACKED[model]
    if row["status"] is not None:
        moment = datetime.now(UTC)
        count(session, tally, moment, row["group_id"], kind, stock(row["status"]), n)


@event.listens_for(Session, "before_flush")
def _arrived(session: Session, _context: Any, _instances: Any) -> None:
    for target in session.new:
        if type(target) in _TRACKED:
            row = {"status": target.status, "group_id": target.group_id}
            _move(session, type(target), row, +1)


def after(measure: str, since: datetime, moment: datetime) -> str:
    """A histogram's measure: "matched_after:12", the network's days from the day of `since`
    to the day of `moment` (asked on the 2nd, matched on the 14th: 12)."""
    return f"{measure}:{max((day_of(moment) - day_of(since)).days, 0)}"


_SUMMING = ("work_mem = '64MB'", "parallel_setup_cost = 0", "parallel_tuple_cost = 0")


def read(
    session: Session,
    model: type[TallyMixin],
    start: date,
    end: date,
    groups: Iterable[uuid.UUID | None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The tallies of `groups` (None: every group, the network's list too) as plain JSON, summed
    in the database: `period`, each group's counts of the days from `start` to `end` (both
    included); `before`, each group's stocks (`now:...`) summed over the days before `start`;
    `months`, the period's counts by month ("2026-03"), the groups together."""
    where = []
    if groups is not None:
        where.append(model.group_key.in_([str(g) if g else NO_GROUP for g in groups]))
    in_period = [*where, model.day >= start, model.day <= end]
    before = [*where, model.day < start, model.measure.like(f"{NOW}:%")]
    total = func.sum(model.count)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # A year of 300 groups is ~700,000 rows: summed in memory (a hash), not sorted on disk,
        # by the server's parallel workers (bench.impact: 420 ms of sums became 280).
        for setting in _SUMMING:
            session.execute(text(f"SET LOCAL {setting}"))
    month = func.date_trunc("month", model.day) if postgresql else func.strftime("%Y-%m", model.day)
    by_group = (model.group_key, model.kind, model.measure)
    by_month = (month, model.kind, model.measure)
    return {
        "period": _rows(session, by_group, total, in_period, ("group_id", "kind", "measure")),
        "before": _rows(session, by_group, total, before, ("group_id", "kind", "measure")),
        "months": _rows(session, by_month, total, in_period, ("month", "kind", "measure")),
    }


def _rows(
    session: Session, keys: tuple[Any, ...], total: Any, where: list[Any], names: tuple[str, ...]
) -> list[dict[str, Any]]:
    query = select(*keys, total).where(*where).group_by(*keys)  # sorted here: no collation
    first: Callable[[Any], str | None] = _month if names[0] == "month" else _group
    return [
        {names[0]: first(row[0]), names[1]: row[1], names[2]: row[2], "count": int(row[3])}
        for row in sorted(map(tuple, session.execute(query)))
    ]


def _group(key: str) -> str | None:
    """A group's key as the report names it: None for the network's list."""
    return key or None


def _month(key: Any) -> str:
    """A month as "2026-03", from PostgreSQL's date_trunc or SQLite's strftime."""
    return key if isinstance(key, str) else str(key.strftime("%Y-%m"))
