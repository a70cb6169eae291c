"""Erasure and subject access in the events service (ADR 0025): the erasure handler around
`privacy.erase`, the guard before every handler, the export and its internal route, each on
a throwaway SQLite file migrated as in production. No broker: the queue sweep is left out
here (the integration test sweeps real queues)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from events.adapters.models import ErasureLog, Event, Outbox, Registration, ReminderSent, Tombstone
from events.entrypoints.web import create_app
from events.service_layer import privacy, registrations, scheduling
from events.service_layer import retention as expiry
from events.service_layer.handlers import HANDLERS
from flask.testing import FlaskClient
from sanctuary import contracts as c
from sanctuary import erasure, erasure_guard
from sanctuary.config import ServiceConfig
from sanctuary.links import address_hash, cancel_token
from sanctuary.migrations import upgrade
from sanctuary.retention import Retention
from sanctuary.runtime import Service
from sanctuary.unit_of_work import Handler, UnitOfWork
from sanctuary.vocabulary import EventKind, RegistrationStatus
from sqlalchemy import select

SECRET = "test-link-secret"
TOKEN = {"Authorization": "Bearer s3cret"}
SOON = datetime.now(UTC) + timedelta(days=7)
LEEDS = uuid.uuid4()


@dataclass
class Events:
    """The service on its SQLite file, its internal API, and its handlers as the worker runs
    them (behind the guard), the erasure's without a queue sweep."""

    service: Service
    api: FlaskClient
    handlers: dict[str, Handler]

    def apply(self, message: Any, accepted_at: datetime | None = None) -> list[Any]:
        """Apply `message` as the worker would, accepted at `accepted_at`; what it announced."""
        with self.service.sessions.begin() as session:
            uow = UnitOfWork(
                session, "corr", Outbox, message_id=str(uuid.uuid4()), accepted_at=accepted_at
            )
            self.handlers[message.TYPE](message, uow)
            uow.write_outbox()
        return uow.published

    def registration(self, registration_id: uuid.UUID) -> Registration:
        with self.service.sessions() as session:
            found = session.get(Registration, registration_id)
            assert found is not None
            return found


@pytest.fixture
def events(tmp_path: Path) -> Iterator[Events]:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    config = ServiceConfig(
        service="events",
        database_url=url,
        internal_token="s3cret",
        link_secret=SECRET,
        amqp_url="memory://",  # an in-process broker: the subject read looks in its queues
    )
    app = create_app(config)
    service = app.extensions["service"]
    upgrade(service.migrations, url, service.metadata)
    on_erasure = erasure.handler(
        "events", partial(privacy.erase, secret=SECRET), Tombstone, ErasureLog, None
    )
    every = {**HANDLERS, c.ErasureRequested.TYPE: on_erasure}
    handlers = erasure_guard.guarded(every, Tombstone, SECRET)
    yield Events(service, app.test_client(), handlers)
    service.engine.dispose()


def scheduled(events: Events, capacity: int, starts_at: datetime = SOON) -> uuid.UUID:
    with events.service.unit_of_work() as uow:
        event = scheduling.schedule(
            uow,
            {
                "title": "Befriending basics",
                "description": "",
                "kind": EventKind.SOCIAL,
                "topic": None,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=2),
                "timezone": "Europe/London",
                "capacity": capacity,
                "online_url": None,
                "location": "Community hall",
                "registration_closes_at": None,
                "group_id": LEEDS,
            },
        )
    return event.id


def request(event_id: uuid.UUID, email: str, **more: Any) -> c.RegistrationRequested:
    fields = {
        "registration_id": uuid.uuid4(),
        "event_id": event_id,
        "name": "Amira",
        "email": email,
        "requested_at": datetime.now(UTC),
    }
    return c.RegistrationRequested(**{**fields, **more})


def registered(events: Events, event_id: uuid.UUID, email: str, **more: Any) -> uuid.UUID:
    wanted = request(event_id, email, **more)
    events.apply(wanted, datetime.now(UTC))
    return wanted.registration_id


def erasure_of(email: str | None, *ids: uuid.UUID, **more: Any) -> c.ErasureRequested:
    return c.ErasureRequested(
        erasure_id=uuid.uuid4(),
        subject=address_hash(SECRET, email) if email else None,
        registration_ids=ids,
        requested_at=datetime.now(UTC),
        **more,
    )


def test_an_erased_persons_place_goes_to_the_first_waiting_and_nothing_about_them_goes_out(
    events: Events,
) -> None:
    """Cancelled without a word about them; the first waiting is promoted; their row keeps its
    ids and times, loses name and address; person.erased says how many."""
    event_id = scheduled(events, capacity=1)
    gone = registered(events, event_id, "Amira@Example.org")
    waiting = registered(events, event_id, "b@example.org")
    published = events.apply(erasure_of("amira@example.org"))
    assert [type(f) for f in published] == [c.RegistrationPromoted, c.PersonErased]
    assert published[0].registration_id == waiting
    assert published[1].counts == {
        "registrations": 1,
        "places_freed": 1,
        "outbox_messages": 1,  # its registration.confirmed
    }
    row = events.registration(gone)
    assert (row.name, row.email, row.status) == ("", "", RegistrationStatus.CANCELLED)
    assert (row.event_id, row.group_id) == (event_id, LEEDS)
    assert events.registration(waiting).status == RegistrationStatus.CONFIRMED
    with events.service.sessions() as session:
        stones = {s.key: s.kind for s in session.scalars(select(Tombstone))}
        bodies = [o.body for o in session.scalars(select(Outbox))]
        logged = session.scalars(select(ErasureLog)).one()
    assert stones == {
        str(gone): erasure.ID_KIND,
        address_hash(SECRET, "amira@example.org"): erasure.ADDRESS_KIND,
    }
    assert not any("amira@example.org" in body.lower() for body in bodies)
    assert logged.counts["registrations"] == 1
    assert logged.announced_at is not None


def test_every_registration_of_theirs_is_found_by_any_of_their_keys(events: Events) -> None:
    """By registration id, by address, and by the volunteer id those carry (another address);
    a place at an event that has begun is given up but nobody is promoted to it; attendance
    stays for the counts; two erased people at one event do not clash."""
    volunteer = uuid.uuid4()
    past = scheduled(events, capacity=1, starts_at=datetime.now(UTC) - timedelta(days=3))
    attended = registered(events, past, "v@example.org", volunteer_id=volunteer)
    behind = registered(events, past, "w@example.org")
    with events.service.unit_of_work() as uow:
        scheduling.record_attendance(uow, past, [attended])
    soon = scheduled(events, capacity=1)
    other_address = registered(events, soon, "v.work@example.org", volunteer_id=volunteer)
    by_id = registered(events, soon, "x@example.org")  # waitlisted
    published = events.apply(erasure_of("v@example.org", by_id))
    erased = published[-1]
    assert erased.counts["registrations"] == 3
    assert erased.counts["places_freed"] == 1  # the upcoming one; none promoted behind it
    assert [type(f) for f in published] == [c.PersonErased]  # x waited: nobody moves up
    for registration_id in (attended, other_address, by_id):
        row = events.registration(registration_id)
        assert (row.name, row.email, row.status) == ("", "", RegistrationStatus.CANCELLED)
    assert events.registration(attended).attended_at is not None
    assert events.registration(attended).volunteer_id == volunteer
    assert events.registration(behind).status == RegistrationStatus.WAITLISTED
    with events.service.sessions() as session:
        stones = set(session.scalars(select(Tombstone.key)))
    assert {str(volunteer), str(attended), str(other_address), str(by_id)} <= stones


def test_a_second_copy_of_the_request_changes_nothing(events: Events) -> None:
    """Applied once, by erasure id, whatever the message id."""
    event_id = scheduled(events, capacity=2)
    registered(events, event_id, "a@example.org")
    asked = erasure_of("a@example.org")
    assert [type(f) for f in events.apply(asked)] == [c.PersonErased]
    assert events.apply(asked) == []


def test_a_late_request_about_them_is_dropped_a_new_one_is_welcome(events: Events) -> None:
    """Accepted up to the erasure: void. Accepted after it: a new consent, applied. An erased
    registration id is void for ever."""
    event_id = scheduled(events, capacity=5)
    registered(events, event_id, "a@example.org")
    unseen = uuid.uuid4()  # a registration the gateway accepted, not yet decided here
    asked = erasure_of("a@example.org", unseen)
    events.apply(asked)
    before = request(event_id, "A@example.org")
    assert events.apply(before, asked.requested_at - timedelta(seconds=1)) == []
    later = asked.requested_at + timedelta(minutes=1)
    welcome = request(event_id, "a@example.org")
    assert [type(f) for f in events.apply(welcome, later)] == [c.RegistrationConfirmed]
    assert events.apply(request(event_id, "c@example.org", registration_id=unseen), later) == []
    with events.service.sessions() as session:
        assert session.get(Registration, before.registration_id) is None
        assert session.get(Registration, unseen) is None
        assert session.get(Registration, welcome.registration_id) is not None


def test_the_export_holds_their_rows_only(events: Events) -> None:
    """Their registrations with the event's title, kind and start, their reminders, the
    outbox rows about them, their ids and groups; never another registrant."""
    volunteer = uuid.uuid4()
    event_id = scheduled(events, capacity=1)
    mine = registered(events, event_id, "a@example.org", volunteer_id=volunteer)
    theirs = registered(events, event_id, "b@example.org")
    with events.service.sessions.begin() as session:
        event = session.get(Event, event_id)
        assert event is not None
        session.add(
            ReminderSent(
                registration_id=mine,
                reminder="day",
                starts_at=event.starts_at,
                sent_at=datetime.now(UTC),
            )
        )
    with events.service.sessions() as session:
        found = privacy.export(session, SECRET, "A@example.org", {})
    records = found["records"]
    assert [r["id"] for r in records["registrations"]] == [str(mine)]
    assert records["registrations"][0]["email"] == "a@example.org"
    assert records["registrations"][0]["event"]["title"] == "Befriending basics"
    assert set(records["registrations"][0]["event"]) == {"title", "kind", "starts_at"}
    assert [r["registration_id"] for r in records["reminders_sent"]] == [str(mine)]
    assert [o["type"] for o in records["outbox"]] == ["registration.confirmed"]
    assert found["ids"] == {
        "volunteer_ids": [str(volunteer)],
        "newcomer_ids": [],
        "registration_ids": [str(mine)],
    }
    assert found["group_ids"] == [str(LEEDS)]
    assert str(theirs) not in json.dumps(found)
    assert "b@example.org" not in json.dumps(found)
    with events.service.sessions() as session:
        by_volunteer = privacy.export(session, SECRET, None, {"volunteer_ids": [volunteer]})
    assert by_volunteer["ids"]["registration_ids"] == [str(mine)]


def test_the_subject_route_answers_for_the_service_and_refuses_a_bad_body(
    events: Events,
) -> None:
    """200 with service, records, ids and group_ids; 422 naming the field; the credential."""
    event_id = scheduled(events, capacity=1)
    mine = registered(events, event_id, "a@example.org")
    body = {"email": "a@example.org", "registration_ids": [str(mine)]}
    answer = events.api.post("/internal/v1/subjects", json=body, headers=TOKEN)
    assert answer.status_code == 200
    assert answer.json["service"] == "events"
    assert set(answer.json) == {"service", "records", "ids", "group_ids"}
    assert answer.json["ids"]["registration_ids"] == [str(mine)]
    nobody = events.api.post("/internal/v1/subjects", json={"email": None}, headers=TOKEN)
    assert nobody.json["records"]["registrations"] == []
    bad = events.api.post("/internal/v1/subjects", json={"volunteer_ids": ["nope"]}, headers=TOKEN)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json["errors"]] == ["volunteer_ids.0"]
    assert events.api.post("/internal/v1/subjects", json=body).status_code in (401, 403)


def test_withdrawing_nothing_frees_nothing(events: Events) -> None:
    """No registrations: no lock, no promotion."""
    with events.service.unit_of_work() as uow:
        assert registrations.withdraw(uow, []) == 0
        assert uow.published == []


def test_a_corrected_name_reaches_their_places_and_no_one_elses(events: Events) -> None:
    """person.details_changed (ADR 0027): the attendance list shows the corrected name; an
    erased registration's change is dropped by the guard."""
    event_id = scheduled(events, capacity=5)
    mine = registered(events, event_id, "amira@example.org")
    other = registered(events, event_id, "omar@example.org", name="Omar")

    def change(*ids: uuid.UUID) -> None:
        events.apply(
            c.DetailsChanged(
                change_id=uuid.uuid4(),
                registration_ids=ids,
                name="Amira H.",
                paused=True,  # not the events service's: ignored
                changed_at=datetime.now(UTC),
            )
        )

    change(mine)
    assert (events.registration(mine).name, events.registration(other).name) == ("Amira H.", "Omar")
    events.apply(erasure_of("omar@example.org", other))
    change(other)
    assert events.registration(other).name != "Amira H."


def test_places_lose_their_name_and_address_six_months_after_the_event(events: Events) -> None:
    """The retention schedule (ADR 0028), with a fake clock on both sides of the edge: the
    places keep their status and attendance; two confirmed places with no address left do
    not clash; a later event's places are untouched."""
    past = scheduled(events, capacity=5, starts_at=SOON)
    later = scheduled(events, capacity=5, starts_at=SOON + timedelta(days=30))
    ours = [registered(events, past, f"p{i}@example.org") for i in range(2)]
    theirs = registered(events, later, "l@example.org")
    nowhere = registered(events, uuid.uuid4(), "lost@example.org")  # refused: no such event
    ends = SOON + timedelta(hours=2)
    schedule = Retention()

    def expire(now: datetime) -> dict[str, int]:
        with events.service.unit_of_work() as uow:
            return expiry.apply(uow, now, schedule)

    refused = erasure.aware(events.registration(nowhere).decided_at)
    assert expire(refused + timedelta(days=schedule.registrations)) == {"registrations": 0}
    assert expire(refused + timedelta(days=schedule.registrations, seconds=1)) == {
        "registrations": 1
    }
    assert events.registration(nowhere).email == ""
    edge = ends + timedelta(days=schedule.registrations)
    assert expire(edge) == {"registrations": 0}
    assert expire(edge + timedelta(seconds=1)) == {"registrations": 2}
    for registration_id in ours:
        place = events.registration(registration_id)
        assert (place.name, place.email, place.status) == ("", "", "confirmed")
    assert events.registration(theirs).email == "l@example.org"
    assert expire(edge + timedelta(days=1)) == {"registrations": 0}


def test_the_impact_tallies_count_each_change_and_an_erasure_changes_no_past_count(
    events: Events,
) -> None:
    """ADR 42: each decision, cancellation, promotion and attendance is counted by day, group
    and kind as it happens; erasing a person adds their withdrawal and takes nothing away;
    the counts name nobody and are read within the caller's groups only."""
    event_id = scheduled(events, capacity=1)
    first = registered(events, event_id, "first@example.org", group_id=LEEDS)
    second = registered(events, event_id, "second@example.org", group_id=LEEDS)
    third = registered(events, event_id, "third@example.org", group_id=LEEDS)
    with events.service.unit_of_work() as uow:
        registrations.cancel(uow, first, cancel_token(SECRET, first), SECRET)  # second moves up
    with events.service.unit_of_work() as uow:
        scheduling.record_attendance(uow, event_id, [second])
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date().isoformat()

    def counted(**headers: str) -> dict[str, int]:
        answer = events.api.get(
            f"/internal/v1/tallies?from={today}&to={today}", headers={**TOKEN, **headers}
        )
        assert answer.status_code == 200, answer.json
        rows = answer.json["period"]
        assert all(r["group_id"] == str(LEEDS) and r["kind"] == "social" for r in rows)
        return {r["measure"]: r["count"] for r in rows}

    before = {
        "confirmed": 1,
        "waitlisted": 2,
        "cancelled_by_them": 1,
        "promoted": 1,
    }
    assert counted() == before
    events.apply(erasure_of("third@example.org"))  # waiting: withdrawn
    assert counted() == {**before, "withdrawn": 1}
    assert events.registration(third).status == RegistrationStatus.CANCELLED
    assert counted(**{"X-Groups": str(uuid.uuid4())}) == {}  # another group's coordinator
    # The event itself counts on its own day, with its places, the places taken and who came.
    day = SOON.astimezone(ZoneInfo("Europe/London")).date().isoformat()
    on_its_day = events.api.get(f"/internal/v1/tallies?from={day}&to={day}", headers=TOKEN)
    assert on_its_day.json["period"] == [
        {"group_id": str(LEEDS), "kind": "social", "measure": "attended", "count": 1},
        {"group_id": str(LEEDS), "kind": "social", "measure": "held", "count": 1},
        {"group_id": str(LEEDS), "kind": "social", "measure": "places", "count": 1},
        {"group_id": str(LEEDS), "kind": "social", "measure": "taken", "count": 1},
    ]
    refused = events.api.get("/internal/v1/tallies?from=soon&to=later", headers=TOKEN)
    assert refused.status_code == 422
