"""The impact report (issue 18, ADR 42 and 43): a known history across two local groups, made
day by day under a fake clock, and every figure of `GET /api/v1/reports` equal to what the
test counts from what it made; the same after erasing one person; the dashboard's page, its
downloads with small counts hidden, and a coordinator kept to their own group.

Real: the gateway, matching, events and notifications on PostgreSQL, their internal APIs
over TCP, their use cases and handlers as the workers run them, the mailer sending to an
SMTP sink. The clock is time-machine's, seen by every thread."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from coordinator_walk import PASSWORD, gateway_before_services, signed_in
from events.service_layer import scheduling
from flask.testing import FlaskClient
from gateway.service_layer import groups, staff
from matching.adapters.models import Match
from matching.service_layer import coordination
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from notifications.entrypoints.mailer import Mailer
from sanctuary import contracts as c
from sanctuary.runtime import Service
from sanctuary.vocabulary import READY_WHEN, EventKind, MatchAction, MatchEnding
from sanctuary_dev import mailsink
from sanctuary_dev.messages import apply, group_created, registered, requested, signed_up
from sqlalchemy import select

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer coordinator-token"}
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday; all of it in March and April
SLOT = (("sat", "morning"),)


def on(day: int) -> Any:
    """The fake clock at 10:00 UTC on the history's `day`."""
    return time_machine.travel(START + timedelta(days=day), tick=True)


@pytest.fixture
def mail(make_service: Callable[..., Service], tmp_path: Path) -> Iterator[Service]:
    sink = mailsink.start(tmp_path / "mail")
    yield make_service(
        bootstrap,
        "notifications",
        NotificationsConfig,
        internal_token="s3cret",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
    )
    sink.stop()


@pytest.fixture
def network(
    gateway_client: Callable[..., Any], matching: Service, events: Service, mail: Service
) -> Iterator[tuple[FlaskClient, dict[str, uuid.UUID]]]:
    with gateway_before_services(gateway_client, matching, events, mail) as client:
        ids = {}
        for slug in ("leeds", "bradford"):
            body = {"slug": slug, "name": slug.title(), "contact": f"{slug}@example.org"}
            assert client.post("/api/v1/groups", json=body, headers=ADMIN).status_code == 201
            found = groups.by_slug(client.application.extensions["service"].sessions, slug)
            assert found is not None
            ids[slug] = found.id
            apply(mail, group_created(group_id=found.id, slug=slug, name=slug.title()))
        yield client, ids


def report(client: FlaskClient, query: str = "from=2026-03-01&to=2026-04-30") -> Any:
    answer = client.get(f"/api/v1/reports?{query}", headers=ADMIN)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_every_figure_is_what_happened_and_an_erasure_changes_none(
    network: tuple[FlaskClient, dict[str, uuid.UUID]],
    matching: Service,
    events: Service,
    mail: Service,
) -> None:
    client, ids = network
    leeds, bradford = ids["leeds"], ids["bradford"]

    def volunteer(group: uuid.UUID, email: str, postcode: str) -> uuid.UUID:
        fact = signed_up(
            group_id=group, email=email, postcode=postcode, availability=SLOT, languages=("ar",)
        )
        apply(matching, fact)
        welcome = registered(volunteer_id=fact.volunteer_id, email=email, group_id=group)
        apply(mail, welcome)
        return fact.volunteer_id

    def newcomer(group: uuid.UUID, postcode: str, language: str) -> uuid.UUID:
        fact = requested(
            group_id=group, availability=SLOT, postcode=postcode, languages=(language,)
        )
        apply(matching, fact)
        return fact.newcomer_id

    def ready(volunteer_id: uuid.UUID) -> None:
        with matching.unit_of_work() as uow:
            coordination.record_checks(uow, volunteer_id, dict(READY_WHEN))

    def decide(match_id: uuid.UUID, action: MatchAction, **more: Any) -> None:
        with matching.unit_of_work() as uow:
            coordination.decide(uow, match_id, action, **more)

    def match_of(newcomer_id: uuid.UUID) -> uuid.UUID:
        with matching.sessions() as session:
            return session.scalars(select(Match.id).where(Match.newcomer_id == newcomer_id)).one()

    # Day 0: three volunteers (two in Leeds) sign up; three newcomers ask (two in Leeds, one
    # speaking a language no volunteer speaks: they wait throughout).
    with on(0):
        v1 = volunteer(leeds, "v1@example.org", "LS6 1AA")
        volunteer(leeds, "v2@example.org", "LS6 1AB")
        v3 = volunteer(bradford, "v3@example.org", "BD1 2AA")
        n1 = newcomer(leeds, "LS6 2BB", "ar")
        newcomer(leeds, "LS6 2BC", "ti")
        n3 = newcomer(bradford, "BD1 1AA", "ar")
        assert Mailer(mail.engine, mail.config).send_due() == 3  # the welcomes
    with on(3):
        ready(v1)  # 3 days to ready
    with on(5):
        ready(v3)  # 5 days
    with on(10), matching.unit_of_work() as uow:
        coordination.start_run(uow, dry_run=False)
    m1, m3 = match_of(n1), match_of(n3)
    with on(12):
        decide(m1, MatchAction.APPROVE)  # n1 waited 12 days
    with on(20):
        decide(m3, MatchAction.APPROVE)  # n3 waited 20 days
    with on(25):
        decide(m1, MatchAction.ACTIVATE)
    with on(40):
        decide(m1, MatchAction.END, reason="Moved to Glasgow", ending=MatchEnding.NEWCOMER_MOVED)

    # A Leeds training on day 30 with 2 places: three ask, one waits; two come.
    with on(1), events.unit_of_work() as uow:
        training = scheduling.schedule(uow, _training(leeds, START + timedelta(days=30)))
    places = []
    for i in range(3):
        with on(2 + i):
            wanted = c.RegistrationRequested(
                registration_id=uuid.uuid4(),
                event_id=training.id,
                name="Amira",
                email=f"r{i}@example.org",
                requested_at=datetime.now(UTC),
                group_id=leeds,
            )
            apply(events, wanted)
            places.append(wanted.registration_id)
    with on(30), events.unit_of_work() as uow:
        scheduling.record_attendance(uow, training.id, places[:2])

    expected_leeds = {
        "volunteers": {
            "signed_up": 2,
            "ready": 1,
            "ready_at_end": 1,
            "inactive_at_end": 0,
            "median_days_to_ready": 3,
        },
        "newcomers": {
            "requested": 2,
            "matched": 1,
            "waiting_at_end": 1,  # n1's match ended without a wish for another: closed
            "median_days_waiting": 12,
            "p90_days_waiting": 12,
        },
    }
    expected_bradford = {
        "volunteers": {
            "signed_up": 1,
            "ready": 1,
            "ready_at_end": 1,
            "inactive_at_end": 0,
            "median_days_to_ready": 5,
        },
        "newcomers": {
            "requested": 1,
            "matched": 1,
            "waiting_at_end": 0,
            "median_days_waiting": 20,
            "p90_days_waiting": 20,
        },
    }
    with on(45):
        made = report(client)
        after_erasure = None
        by_slug = {row["group"]["slug"]: row for row in made["by_group"]}
        for slug, expected in (("leeds", expected_leeds), ("bradford", expected_bradford)):
            for section, figures in expected.items():
                assert by_slug[slug][section] == figures, (slug, section)
        total = made["total"]
        assert total["newcomers"] == {
            "requested": 3,
            "matched": 2,
            "waiting_at_end": 1,
            "median_days_waiting": 12,  # nearest rank of {12, 20}
            "p90_days_waiting": 20,
        }
        assert total["volunteers"] == {
            "signed_up": 3,
            "ready": 2,
            "ready_at_end": 2,
            "inactive_at_end": 0,
            "median_days_to_ready": 3,  # nearest rank of {3, 5}
        }
        assert total["matches"] == {
            "proposed": 2,
            "approved": 2,
            "rejected": 0,
            "met": 1,
            "ended": 1,
            "ended_by_reason": {e.value: int(e == MatchEnding.NEWCOMER_MOVED) for e in MatchEnding},
            "active_at_end": 1,  # Bradford's pair, approved
            "checkins_sent": 0,  # the clock never ran
        }
        training_figures = total["events"]["by_kind"]["training"]
        assert training_figures == {
            "held": 1,
            "places": 2,
            "registrations": 3,
            "waitlisted": 1,
            "given_a_place_from_the_queue": 0,
            "taken": 2,
            "attended": 2,
            "attendance_rate": 1.0,
        }
        assert total["events"]["trainings_completed"] == 2
        assert total["emails"] == {"sent": 3, "failed": 0, "suppressed": 0}
        assert [m["month"] for m in made["months"]] == ["2026-03", "2026-04"]
        assert sum(m["signed_up"] for m in made["months"]) == 3

        # Erasing the Bradford newcomer (matched) changes no past figure; their open match
        # ends as withdrawn, today.
        erasure = c.ErasureRequested(
            erasure_id=uuid.uuid4(), newcomer_ids=(n3,), requested_at=datetime.now(UTC)
        )
        apply(matching, erasure)
        after_erasure = report(client)
    for section in ("volunteers", "newcomers"):
        assert after_erasure["total"][section] == made["total"][section]
    assert after_erasure["total"]["matches"]["ended_by_reason"]["withdrawn"] == 1
    assert after_erasure["total"]["matches"]["active_at_end"] == 0

    # A period before anything happened says nothing; a coordinator sees only their group.
    assert report(client, "from=2026-01-01&to=2026-01-31")["total"]["volunteers"]["signed_up"] == 0
    only = report(client, "group=bradford&from=2026-03-01&to=2026-04-30")
    assert [row["group"]["slug"] for row in only["by_group"]] == ["bradford"]
    units = client.application.extensions["service"].unit_of_work
    staff.create_coordinator(units, "l@example.org", "L", PASSWORD, groups=("leeds",))
    browser = signed_in(client, "l@example.org")
    page = browser.get("/coordinator/impact?from=2026-03-01&to=2026-04-30")
    assert page.status_code == 200
    assert "Leeds" in page.text
    assert "Bradford" not in page.text
    assert 'alt="Bar chart over 2 months: 2 volunteers signed up' in page.text
    assert "<script" not in page.text
    download = browser.get("/coordinator/impact.csv?from=2026-03-01&to=2026-04-30")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    signed = [
        r["value"] for r in rows if r["figure"] == "signed_up" and r["section"] == "volunteers"
    ]
    assert set(signed) == {"fewer than 5"}  # 2, leaving the dashboard
    assert any(r["value"] == "too few to say" for r in rows if r["figure"] == "median_days_waiting")
    refused = browser.get("/coordinator/impact?group=bradford")
    assert refused.status_code == 422


def _training(group: uuid.UUID, starts_at: datetime) -> dict[str, Any]:
    return {
        "title": "Befriending basics",
        "description": "",
        "kind": EventKind.TRAINING,
        "topic": "befriending",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "timezone": "Europe/London",
        "capacity": 2,
        "online_url": None,
        "location": "Community hall",
        "registration_closes_at": None,
        "group_id": group,
    }


def test_a_service_not_answering_makes_a_503_never_half_a_report(
    gateway_client: Callable[..., Any], matching: Service, events: Service
) -> None:
    from events.entrypoints.web import create_app as create_events
    from matching.entrypoints.web import create_app as create_matching
    from sanctuary_dev.mailsink import free_port
    from sanctuary_dev.processes import serving

    with (
        serving(create_matching(matching.config)) as matching_url,
        serving(create_events(events.config)) as events_url,
    ):
        client = gateway_client(
            matching_url=matching_url,
            events_url=events_url,
            notifications_url=f"http://127.0.0.1:{free_port()}",  # nobody there
        )
        answer = client.get("/api/v1/reports", headers=ADMIN)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert answer.json["title"] == "Service Unavailable"
