"""Tallies (ADR 42): counted with their transaction, written at its commit, summed across
transactions, gone with a rollback, and read by days and groups."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine
from sanctuary import tallies
from sanctuary.tallies import TallyMixin
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

LEEDS = uuid.uuid4()
# 23:30 UTC on a summer evening is already the next day in London.
LATE = datetime(2026, 6, 5, 23, 30, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Tally(TallyMixin, Base):
    __tablename__ = "tallies"


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_counts_are_written_at_commit_summed_and_lost_with_a_rollback(session: Session) -> None:
    with session.begin():
        tallies.count(session, Tally, LATE, LEEDS, "social", "confirmed")
        tallies.count(session, Tally, LATE, LEEDS, "social", "confirmed")
        tallies.count(session, Tally, LATE, None, "webinar", "waitlisted", n=3)
        assert session.scalars(select(Tally)).all() == []  # not before the commit
    with session.begin():
        tallies.count(session, Tally, LATE, LEEDS, "social", "confirmed")

    def rolled_back() -> None:
        with session.begin():
            tallies.count(session, Tally, LATE, LEEDS, "social", "confirmed", n=100)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rolled_back()
    with session.begin():
        pass  # a later commit writes nothing left over from the rolled-back one
    rows = tallies.read(session, Tally, date(2026, 6, 6), date(2026, 6, 6))["period"]
    assert [(r["group_id"], r["kind"], r["measure"], r["count"]) for r in rows] == [
        (None, "webinar", "waitlisted", 3),
        (str(LEEDS), "social", "confirmed", 3),
    ]


def test_reading_keeps_to_the_days_and_groups_asked_for(session: Session) -> None:
    with session.begin():
        tallies.count(session, Tally, LATE, LEEDS, "social", "attended")
        tallies.count(session, Tally, LATE, uuid.uuid4(), "social", "attended")
        tallies.count(session, Tally, LATE, None, "social", "attended")
    june_5 = tallies.read(session, Tally, date(2026, 6, 5), date(2026, 6, 5))
    assert june_5 == {"period": [], "before": [], "months": []}
    leeds = tallies.read(session, Tally, date(2026, 6, 1), date(2026, 6, 30), [LEEDS])
    assert [r["group_id"] for r in leeds["period"]] == [str(LEEDS)]
    assert leeds["months"] == [
        {"month": "2026-06", "kind": "social", "measure": "attended", "count": 1}
    ]
    network = tallies.read(session, Tally, date(2026, 6, 6), date(2026, 6, 6), [None])
    assert [r["group_id"] for r in network["period"]] == [None]
    everyone = tallies.read(session, Tally, date(2026, 6, 6), date(2026, 6, 6))
    assert len(everyone["period"]) == 3
    assert everyone["months"][0]["count"] == 3  # the groups together


class Person(Base):
    """A row whose status and group the tallies follow (as matching's people and matches)."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    group_id: Mapped[uuid.UUID | None]


tallies.track(Person, Tally, "person")


def stocks(session: Session, start: date, end: date) -> dict[tuple[str | None, str], int]:
    read = tallies.read(session, Tally, start, end)
    found: dict[tuple[str | None, str], int] = {}
    for row in read["before"] + read["period"]:
        key = (row["group_id"], row["measure"])
        found[key] = found.get(key, 0) + row["count"]
    return {key: n for key, n in found.items() if n}


def test_a_tracked_row_is_counted_where_it_stands_whatever_moves_it(session: Session) -> None:
    """A new row counts in its status and group; a change of status or group moves it; a
    rolled-back change moves nothing; the stock of a day sums every move up to it."""
    other = uuid.uuid4()
    monday, tuesday = datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 6, 2, 9, tzinfo=UTC)
    with time_machine.travel(monday, tick=False), session.begin():
        session.add_all(
            [
                Person(id=1, status="waiting", group_id=LEEDS),
                Person(id=2, status="waiting", group_id=None),
            ]
        )
    with time_machine.travel(tuesday, tick=False):
        with session.begin():
            first = session.get(Person, 1)
            assert first is not None
            first.status = "matched"
            first.group_id = other  # moved city, the same day

        def rolled_back() -> None:
            with session.begin():
                second = session.get(Person, 2)
                assert second is not None
                second.status = "closed"
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            rolled_back()
    on_monday = stocks(session, date(2026, 6, 1), date(2026, 6, 1))
    assert on_monday == {(str(LEEDS), "now:waiting"): 1, (None, "now:waiting"): 1}
    on_tuesday = stocks(session, date(2026, 6, 2), date(2026, 6, 2))
    assert on_tuesday == {(str(other), "now:matched"): 1, (None, "now:waiting"): 1}
