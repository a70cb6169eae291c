"""The erasure rules every service shares (ADR 0025): whom a message names, when it is void,
the guard in front of every handler, and finding a person in any body."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sanctuary import erasure, erasure_guard
from sanctuary.contracts import (
    ErasureRequested,
    MatchEnded,
    VolunteerSignedUp,
)
from sanctuary.erasure import Keys, TombstoneMixin
from sanctuary.erasure_records import mentions
from sanctuary.links import address_hash
from sanctuary.messaging_models import OutboxMixin
from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import create_engine
from sqlalchemy import event as sa_event
from sqlalchemy.orm import DeclarativeBase, Session

SECRET = "s3cret"
ADDRESS = "Amal.Haddad@Example.org"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Tombstone(TombstoneMixin, Base):
    __tablename__ = "tombstones"


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def sign_up(volunteer_id: uuid.UUID, address: str = ADDRESS) -> VolunteerSignedUp:
    return VolunteerSignedUp(
        volunteer_id=volunteer_id,
        name="Amal",
        email=address,
        postcode="LS6 1AA",
        languages=("ar",),
        consented_at=NOW,
    )


def request(**ids: Any) -> ErasureRequested:
    return ErasureRequested(
        erasure_id=uuid.uuid4(),
        subject=address_hash(SECRET, ADDRESS),
        requested_at=NOW,
        **ids,
    )


def test_a_message_names_its_ids_and_the_hash_of_its_addresses() -> None:
    volunteer_id = uuid.uuid4()
    keys = erasure.keys_of_message(sign_up(volunteer_id, ADDRESS.upper()), SECRET)
    assert keys == Keys(frozenset({str(volunteer_id)}), frozenset({address_hash(SECRET, ADDRESS)}))
    ended = MatchEnded(
        match_id=uuid.uuid4(), volunteer_id=uuid.uuid4(), newcomer_id=uuid.uuid4(), reason="x"
    )
    assert not erasure.keys_of_message(ended, SECRET)  # names nobody: the other must be told


def test_an_erased_id_is_void_for_ever_an_address_only_before_the_erasure(
    session: Session,
) -> None:
    volunteer_id = uuid.uuid4()
    erasure.bury(
        session,
        Tombstone,
        erasure.keys_of_request(request()) | Keys(frozenset({str(volunteer_id)})),
        request(),
    )
    by_id = Keys(frozenset({str(volunteer_id)}))
    by_address = Keys(addresses=frozenset({address_hash(SECRET, ADDRESS)}))
    later = NOW + timedelta(days=400)
    assert erasure_guard.is_void(session, Tombstone, by_id, later)
    assert erasure_guard.is_void(session, Tombstone, by_address, NOW - timedelta(seconds=1))
    assert erasure_guard.is_void(session, Tombstone, by_address, NOW)
    assert not erasure_guard.is_void(session, Tombstone, by_address, NOW + timedelta(seconds=1))
    assert not erasure_guard.is_void(session, Tombstone, Keys(frozenset({str(uuid.uuid4())})), NOW)


def test_a_second_erasure_of_the_same_address_moves_its_tombstone_forward(
    session: Session,
) -> None:
    first = request()
    erasure.bury(session, Tombstone, erasure.keys_of_request(first), first)
    second = ErasureRequested(
        erasure_id=uuid.uuid4(), subject=first.subject, requested_at=NOW + timedelta(days=30)
    )
    erasure.bury(session, Tombstone, erasure.keys_of_request(second), second)
    [stone] = session.query(Tombstone).all()
    assert stone.erasure_id == str(second.erasure_id)


def test_the_guard_drops_a_message_about_an_erased_person_and_passes_the_rest(
    session: Session,
) -> None:
    erased, other = uuid.uuid4(), uuid.uuid4()
    erasure.bury(session, Tombstone, Keys(frozenset({str(erased)})), request())
    applied: list[Any] = []
    handlers = erasure_guard.guarded(
        {
            VolunteerSignedUp.TYPE: lambda message, uow: applied.append(message.volunteer_id),
            ErasureRequested.TYPE: lambda message, uow: applied.append("erasure"),
        },
        Tombstone,
        SECRET,
    )
    uow = UnitOfWork(session, "c", Outbox, message_id="m", accepted_at=NOW)
    handlers[VolunteerSignedUp.TYPE](sign_up(erased, "new@example.org"), uow)
    handlers[VolunteerSignedUp.TYPE](sign_up(other, "new@example.org"), uow)
    handlers[ErasureRequested.TYPE](request(volunteer_ids=(erased,)), uow)
    assert applied == [other, "erasure"]


def test_a_person_is_found_in_any_body_even_one_that_is_not_json() -> None:
    registration_id = uuid.uuid4()
    keys = Keys(frozenset({str(registration_id)}), frozenset({address_hash(SECRET, ADDRESS)}))
    assert mentions(json.dumps({"email": ADDRESS.lower()}).encode(), keys, SECRET)
    assert mentions(b'{"e": "amal.haddad\\u0040example.org"}', keys, SECRET)
    assert mentions(b"{not json " + ADDRESS.encode(), keys, SECRET)
    assert mentions(f'{{"id": "{registration_id}"}}'.upper().encode(), keys, SECRET)
    assert not mentions(json.dumps({"email": "else@example.org"}).encode(), keys, SECRET)


def test_a_batch_asks_once_and_an_erasure_in_it_is_seen_by_the_messages_after_it(
    session: Session,
) -> None:
    """Prefetched for a batch: the same answers with one query for all; a tombstone written
    in the same transaction afterwards is not hidden by the prefetched answer."""
    erased, later, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    erasure.bury(session, Tombstone, Keys(frozenset({str(erased)})), request())
    handlers = erasure_guard.guarded(
        {VolunteerSignedUp.TYPE: lambda message, uow: applied.append(message.volunteer_id)},
        Tombstone,
        SECRET,
    )
    applied: list[Any] = []
    batch = [sign_up(v, f"{v}@example.org") for v in (erased, later, other)]
    queries: list[str] = []
    sa_event.listen(session.bind, "before_cursor_execute", lambda *a: queries.append(a[2]))
    handle = handlers[VolunteerSignedUp.TYPE]
    handle.prefetch(session, batch)  # type: ignore[attr-defined]
    uow = UnitOfWork(session, "c", Outbox, message_id="m", accepted_at=NOW)
    handle(batch[0], uow)
    erasure.bury(session, Tombstone, Keys(frozenset({str(later)})), request())  # mid-batch
    handle(batch[1], uow)
    handle(batch[2], uow)
    assert applied == [other]
    checks = [q for q in queries if "FROM tombstones" in q and '"key" IN (' in q]
    # One for the batch; then, the prefetched answer dropped by the erasure, one a message.
    assert len(checks) == 3
