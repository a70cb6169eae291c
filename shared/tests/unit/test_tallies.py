"""Tallies (ADR 42): counted with their transaction, written at its commit, summed across
transactions, gone with a rollback, and read by days and groups."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sanctuary import tallies
from sanctuary.tallies import TallyMixin
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session

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
    rows = tallies.read(session, Tally, date(2026, 6, 6), date(2026, 6, 6))
    assert [(r["day"], r["group_id"], r["kind"], r["measure"], r["count"]) for r in rows] == [
        ("2026-06-06", None, "webinar", "waitlisted", 3),
        ("2026-06-06", str(LEEDS), "social", "confirmed", 3),
    ]


def test_reading_keeps_to_the_days_and_groups_asked_for(session: Session) -> None:
    with session.begin():
        tallies.count(session, Tally, LATE, LEEDS, "social", "attended")
        tallies.count(session, Tally, LATE, uuid.uuid4(), "social", "attended")
        tallies.count(session, Tally, LATE, None, "social", "attended")
    assert tallies.read(session, Tally, date(2026, 6, 5), date(2026, 6, 5)) == []
    leeds = tallies.read(session, Tally, date(2026, 6, 1), date(2026, 6, 30), [LEEDS])
    assert [r["group_id"] for r in leeds] == [str(LEEDS)]
    network = tallies.read(session, Tally, date(2026, 6, 6), date(2026, 6, 6), [None])
    assert [r["group_id"] for r in network] == [None]
    assert len(tallies.read(session, Tally, date(2026, 6, 6), date(2026, 6, 6))) == 3
