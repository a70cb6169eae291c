"""Local groups in the events service: every event is a group's or national, every registration
a group's, and every fact says whose. Use cases through a unit of work, the internal API and
the migration, each on a throwaway SQLite file: no broker, no server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from events.adapters.models import Base, Event, Outbox, Registration
from events.entrypoints.web import create_app
from events.service_layer import registrations, reminders, scheduling
from flask.testing import FlaskClient
from sanctuary import contracts as c
from sanctuary.config import ServiceConfig
from sanctuary.contracts.groups import DEFAULT_GROUP_ID
from sanctuary.db import make_engine, session_factory
from sanctuary.links import cancel_token
from sanctuary.migrations import alembic_config, upgrade
from sanctuary.unit_of_work import UnitOfWork, unit_of_work
from sanctuary.vocabulary import EventKind, EventStatus, RegistrationStatus

SECRET = "test-link-secret"
TOKEN = {"Authorization": "Bearer s3cret"}
STARTS = datetime.now(UTC) + timedelta(days=7)
LEEDS = uuid.UUID("00000000-0000-4000-8000-00000000001e")
BRADFORD = uuid.UUID("00000000-0000-4000-8000-0000000000bd")
Units = Callable[[], AbstractContextManager[UnitOfWork]]


@pytest.fixture
def units(tmp_path: Path) -> Iterator[Units]:
    """Units of work on a fresh events database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'events.db'}")
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    yield lambda: unit_of_work(sessions, Outbox)
    engine.dispose()


def new_event(capacity: int = 5, **changes: Any) -> dict[str, Any]:
    """A new event's fields, as NewEventSchema loads them."""
    return {
        "title": "Befriending basics",
        "description": "",
        "kind": EventKind.SOCIAL,
        "topic": None,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "timezone": "Europe/London",
        "capacity": capacity,
        "online_url": None,
        "location": "Community hall",
        "registration_closes_at": None,
        "group_id": None,
        **changes,
    }


def scheduled(units: Units, group_id: uuid.UUID | None, capacity: int = 5) -> uuid.UUID:
    with units() as uow:
        event = scheduling.schedule(uow, new_event(capacity, group_id=group_id))
    return event.id


def requested(
    units: Units, event_id: uuid.UUID, email: str, group_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, list[Any]]:
    registration_id = uuid.uuid4()
    request = c.RegistrationRequested(
        registration_id=registration_id,
        event_id=event_id,
        name="Someone",
        email=email,
        requested_at=datetime.now(UTC),
        group_id=group_id,
    )
    with units() as uow:
        registrations.decide(uow, request)
    return registration_id, uow.published


def stored_group(units: Units, registration_id: uuid.UUID) -> uuid.UUID | None:
    with units() as uow:
        registration = uow.session.get(Registration, registration_id)
        assert registration is not None
        return registration.group_id


def test_an_event_of_a_group_announces_its_group_when_scheduled_and_changed(
    units: Units,
) -> None:
    """event.scheduled and event.updated both carry the group that runs the event."""
    with units() as uow:
        event = scheduling.schedule(uow, new_event(group_id=LEEDS))
    [announced] = uow.published
    assert (type(announced), announced.group_id) == (c.EventScheduled, LEEDS)
    with units() as uow:
        scheduling.update_event(uow, event.id, {"title": "Befriending, the basics"})
    [changed] = uow.published
    assert (type(changed), changed.group_id, changed.changed) == (c.EventUpdated, LEEDS, ("title",))


def test_a_national_event_announces_no_group_and_its_registrant_with_none_has_none(
    units: Units,
) -> None:
    """National: group_id None on the event, and on a registrant who names no group."""
    with units() as uow:
        scheduling.schedule(uow, new_event())
    assert uow.published[0].group_id is None
    registration_id, facts = requested(units, uow.published[0].event_id, "a@example.org")
    assert [(type(f), f.group_id) for f in facts] == [(c.RegistrationConfirmed, None)]
    assert stored_group(units, registration_id) is None


def test_a_registration_naming_no_group_takes_the_events_group(units: Units) -> None:
    """Stored with the event's group, and announced with it."""
    event_id = scheduled(units, LEEDS)
    registration_id, facts = requested(units, event_id, "a@example.org")
    assert [(type(f), f.group_id) for f in facts] == [(c.RegistrationConfirmed, LEEDS)]
    assert stored_group(units, registration_id) == LEEDS


def test_a_registration_naming_its_group_keeps_it_on_every_fact(units: Units) -> None:
    """A Bradford person at a Leeds event: confirmed, waitlisted, rejected, cancelled,
    promoted and reminded, each with Bradford, the group that signs their emails."""
    event_id = scheduled(units, LEEDS, capacity=1)
    first, confirmed = requested(units, event_id, "a@example.org", BRADFORD)
    waiting, waitlisted = requested(units, event_id, "b@example.org", BRADFORD)
    _, rejected = requested(units, event_id, "A@example.org", BRADFORD)
    with units() as uow:
        registrations.cancel(uow, first, cancel_token(SECRET, first), SECRET)
    moved = uow.published
    with units() as uow:
        reminders.announce_due(uow, event_id, STARTS - timedelta(minutes=30))
    reminded = uow.published
    facts = confirmed + waitlisted + rejected + moved + reminded
    assert [type(f) for f in facts] == [
        c.RegistrationConfirmed,
        c.RegistrationWaitlisted,
        c.RegistrationRejected,
        c.RegistrationCancelled,
        c.RegistrationPromoted,
        c.EventReminderDue,
        c.EventReminderDue,
    ]
    assert {f.group_id for f in facts} == {BRADFORD}
    assert [f.registration_id for f in reminded] == [waiting, waiting]
    assert stored_group(units, waiting) == BRADFORD


def test_a_request_for_an_unknown_event_is_rejected_with_the_requests_group(
    units: Units,
) -> None:
    """No event to take a group from: the request's own, or none."""
    _, named = requested(units, uuid.uuid4(), "a@example.org", BRADFORD)
    _, unnamed = requested(units, uuid.uuid4(), "b@example.org")
    assert [(f.reason, f.group_id) for f in named + unnamed] == [
        ("unknown_event", BRADFORD),
        ("unknown_event", None),
    ]


# --- the internal API ------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FlaskClient]:
    """The events internal API on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    app = create_app(ServiceConfig(service="events", database_url=url, internal_token="s3cret"))
    service = app.extensions["service"]
    upgrade(service.migrations, url, service.metadata)
    yield app.test_client()
    service.engine.dispose()


def posted(api: FlaskClient, title: str, group_id: uuid.UUID | None) -> dict[str, Any]:
    """A new event through the API; each starts a minute after the one posted before."""
    starts = STARTS + timedelta(minutes=len(api.get("/internal/v1/events", headers=TOKEN).json))
    body = {
        "title": title,
        "kind": EventKind.SOCIAL,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "capacity": 5,
        "location": "Hall",
        "group_id": group_id and str(group_id),
    }
    answer = api.post("/internal/v1/events", headers=TOKEN, json=body)
    assert answer.status_code == 201, answer.json
    return dict(answer.json)


def listed(api: FlaskClient, query: str = "") -> list[str]:
    answer = api.get(f"/internal/v1/events{query}", headers=TOKEN)
    assert answer.status_code == 200, answer.json
    return [e["title"] for e in answer.json]


def test_the_list_by_group_shows_the_national_events_and_that_groups_only(
    api: FlaskClient,
) -> None:
    """?group_id= (repeatable) adds national events; ?national=false leaves them out."""
    for title, group in (("national", None), ("leeds", LEEDS), ("bradford", BRADFORD)):
        posted(api, title, group)
    york = uuid.uuid4()
    assert listed(api) == ["national", "leeds", "bradford"]
    assert listed(api, f"?group_id={LEEDS}") == ["national", "leeds"]
    assert listed(api, f"?group_id={york}") == ["national"]
    assert listed(api, f"?group_id={LEEDS}&group_id={BRADFORD}") == [
        "national",
        "leeds",
        "bradford",
    ]
    assert listed(api, f"?group_id={LEEDS}&national=false") == ["leeds"]
    assert listed(api, "?national=false") == ["leeds", "bradford"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?group_id=leeds", "group_id"),
        ("?group_id=", "group_id"),
        (f"?group_id={LEEDS}&group_id=12", "group_id"),
        ("?national=perhaps", "national"),
    ],
)
def test_a_bad_group_in_the_list_query_is_422_naming_it(
    api: FlaskClient, query: str, field: str
) -> None:
    """A problem document naming the parameter, as for a body's fields."""
    answer = api.get(f"/internal/v1/events{query}", headers=TOKEN)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json["errors"]] == [field]


def test_every_answer_about_an_event_or_registration_says_its_group(api: FlaskClient) -> None:
    """Created, listed, shown, changed: group_id (null: national); PATCH cannot move it."""
    leeds = posted(api, "leeds", LEEDS)
    national = posted(api, "national", None)
    assert (leeds["group_id"], national["group_id"]) == (str(LEEDS), None)
    url = f"/internal/v1/events/{leeds['id']}"
    assert api.get(url, headers=TOKEN).json["group_id"] == str(LEEDS)
    assert [e["group_id"] for e in api.get("/internal/v1/events", headers=TOKEN).json] == [
        str(LEEDS),
        None,
    ]
    moved = api.patch(url, headers=TOKEN, json={"group_id": str(BRADFORD)})
    assert (moved.status_code, moved.json["errors"][0]["field"]) == (422, "group_id")
    changed = api.patch(url, headers=TOKEN, json={"title": "Leeds social"})
    assert changed.json["group_id"] == str(LEEDS)
    bad = api.post("/internal/v1/events", headers=TOKEN, json={**national, "group_id": "x"})
    assert bad.status_code == 422
    assert "group_id" in {e["field"] for e in bad.json["errors"]}


def test_registration_answers_say_the_registrants_group(api: FlaskClient) -> None:
    """The status and the coordinator's list both carry the registration's group."""
    event = posted(api, "leeds", LEEDS)
    service = api.application.extensions["service"]
    with service.unit_of_work() as uow:
        registrations.decide(
            uow,
            c.RegistrationRequested(
                registration_id=(registration_id := uuid.uuid4()),
                event_id=uuid.UUID(event["id"]),
                name="Ana",
                email="ana@example.org",
                requested_at=datetime.now(UTC),
                group_id=BRADFORD,
            ),
        )
    status = api.get(f"/internal/v1/registrations/{registration_id}", headers=TOKEN).json
    assert (status["status"], status["group_id"]) == ("confirmed", str(BRADFORD))
    rows = api.get(f"/internal/v1/events/{event['id']}/registrations", headers=TOKEN).json
    assert [r["group_id"] for r in rows] == [str(BRADFORD)]


# --- the migration ---------------------------------------------------------------------------


def test_events_and_registrations_stored_before_groups_belong_to_the_default_group(
    tmp_path: Path,
) -> None:
    """Rows written at revision 0003 come out of the upgrade with DEFAULT_GROUP_ID (SQLite)."""
    upgraded_with_rows(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.integration
def test_events_and_registrations_stored_before_groups_join_it_on_postgresql(
    make_database: Callable[[str], str],
) -> None:
    upgraded_with_rows(make_database("events"))


def upgraded_with_rows(url: str) -> None:
    """Migrate to 0003, write an event and a registration, migrate to the newest revision:
    both belong to the default group."""
    import events

    migrations = Path(events.__file__).parent / "migrations"
    config = alembic_config(migrations, url, Base.metadata)
    command.upgrade(config, "0003")
    engine = make_engine(url)
    event_id, registration_id = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(OLD_EVENTS.insert().values(**OLD_EVENT, id=event_id))
        connection.execute(
            OLD_REGISTRATIONS.insert().values(
                **OLD_REGISTRATION, id=registration_id, event_id=event_id
            )
        )
    command.upgrade(config, "head")
    with session_factory(engine)() as session:
        event = session.get(Event, event_id)
        registration = session.get(Registration, registration_id)
        assert event is not None
        assert registration is not None
        assert (event.group_id, registration.group_id) == (DEFAULT_GROUP_ID, DEFAULT_GROUP_ID)
    engine.dispose()
    engine.dispose()


# The tables as revision 0003 left them (no group yet), typed so SQLite gets its own forms.
OLD_EVENTS = sa.table(
    "events",
    *(sa.column(name, sa.Uuid()) for name in ("id",)),
    *(sa.column(n, sa.String()) for n in ("title", "description", "kind", "timezone", "status")),
    *(sa.column(n, sa.String()) for n in ("location",)),
    *(sa.column(n, sa.DateTime(timezone=True)) for n in ("starts_at", "ends_at", "created_at")),
    *(sa.column(n, sa.Integer()) for n in ("capacity", "sequence")),
)
OLD_EVENT = {
    "title": "Before groups",
    "description": "",
    "kind": EventKind.SOCIAL,
    "timezone": "Europe/London",
    "status": EventStatus.PUBLISHED,
    "location": "Hall",
    "starts_at": STARTS,
    "ends_at": STARTS + timedelta(hours=1),
    "created_at": datetime.now(UTC),
    "capacity": 5,
    "sequence": 0,
}
OLD_REGISTRATIONS = sa.table(
    "registrations",
    *(sa.column(n, sa.Uuid()) for n in ("id", "event_id")),
    *(sa.column(n, sa.String()) for n in ("name", "email", "status")),
    *(sa.column(n, sa.DateTime(timezone=True)) for n in ("queued_at", "decided_at")),
)
OLD_REGISTRATION = {
    "name": "Old",
    "email": "old@example.org",
    "status": RegistrationStatus.CONFIRMED,
    "queued_at": datetime.now(UTC),
    "decided_at": datetime.now(UTC),
}
