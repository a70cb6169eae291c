"""The unit of work: a change and the facts it announces commit together or not at all."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from marshmallow import ValidationError
from sanctuary.contracts import RegistrationPromoted
from sanctuary.db import SessionFactory, make_engine, session_factory
from sanctuary.messaging_models import OutboxMixin
from sanctuary.unit_of_work import UnitOfWork, unit_of_work
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """A service's metadata, as small as it gets."""


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[SessionFactory]:
    """Sessions on a fresh SQLite file with the outbox and one table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    Base.metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


def promoted() -> RegistrationPromoted:
    return RegistrationPromoted(
        registration_id=uuid.uuid4(), event_id=uuid.uuid4(), name="Amina", email="a@example.org"
    )


def test_the_facts_reach_the_outbox_with_the_change_and_the_correlation_id(
    sessions: SessionFactory,
) -> None:
    """One commit: the row and the fact, which carries the unit of work's correlation id."""
    fact = promoted()
    with unit_of_work(sessions, Outbox, "c-1") as uow:
        uow.session.add(Note(id="n"))
        message_id = uow.publish(fact)
        assert uow.published == [fact]
    with sessions() as session:
        [row] = session.scalars(select(Outbox)).all()
        assert session.get(Note, "n") is not None
    assert (row.message_id, row.type, row.correlation_id) == (
        message_id,
        "registration.promoted",
        "c-1",
    )
    assert json.loads(row.body)["registration_id"] == str(fact.registration_id)


def test_a_use_case_that_fails_after_publishing_leaves_neither_change_nor_fact(
    sessions: SessionFactory,
) -> None:
    """Rolled back together: nothing is announced about a change that did not happen."""

    def use_case() -> None:
        with unit_of_work(sessions, Outbox) as uow:
            uow.session.add(Note(id="n"))
            uow.publish(promoted())
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        use_case()
    with sessions() as session:
        assert session.scalars(select(Outbox)).all() == []
        assert session.get(Note, "n") is None


def test_a_fact_that_breaks_its_contract_fails_where_it_is_published(
    sessions: SessionFactory,
) -> None:
    """Checked at once, so the error points at the use case, not at the commit."""
    bad = RegistrationPromoted(
        registration_id=uuid.uuid4(), event_id=uuid.uuid4(), name="", email="not an email"
    )
    with unit_of_work(sessions, Outbox) as uow, pytest.raises(ValidationError):
        uow.publish(bad)
    assert uow.published == []


def test_each_unit_of_work_without_a_correlation_id_starts_a_new_one(
    sessions: SessionFactory,
) -> None:
    """A clock tick or a command starts an action of its own."""
    with unit_of_work(sessions, Outbox) as first, unit_of_work(sessions, Outbox) as second:
        ids = {first.correlation_id, second.correlation_id}
    assert len(ids) == 2
    assert all(uuid.UUID(i) for i in ids)


def test_rows_held_in_a_batch_are_not_added_to_the_session(sessions: SessionFactory) -> None:
    """In a batch, insert() holds the row for the batch's one INSERT (ADR 0021)."""
    held: dict[type, list[dict[str, object]]] = {}
    with sessions() as session:
        uow = UnitOfWork(session, "c", Outbox, batch_rows=held)
        uow.insert(Note, id="n")
        assert uow.batched
        assert held == {Note: [{"id": "n"}]}
        assert list(session.new) == []
