"""Matching's part of the retention schedule (ADR 0028) with a fake clock, each period on
both sides of its edge: a volunteer never ready and a request closed long ago are erased
everywhere (by ids, announced so every service and the gateway hear it); an ended match
loses its personal details; a DBS outcome is purged, which is not an activity of theirs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from matching.adapters.models import ErasureLog, Match, Newcomer, Volunteer
from matching.service_layer import coordination
from matching.service_layer import retention as expiry
from matching_harness import Matching, matching_on
from sanctuary import contracts as c
from sanctuary.erasure import aware
from sanctuary.retention import Retention
from sanctuary.vocabulary import (
    READY_WHEN,
    CheckOutcome,
    MatchStatus,
    NewcomerStatus,
    VolunteerStatus,
)
from sanctuary_dev.messages import requested, signed_up
from sqlalchemy import select, update

SCHEDULE = Retention()
SECOND = timedelta(seconds=1)


@pytest.fixture
def matching(tmp_path: Path) -> Iterator[Matching]:
    with matching_on(tmp_path) as made:
        yield made


def expire(matching: Matching, now: datetime) -> tuple[dict[str, int], list[Any]]:
    """One pass of the schedule as of `now`: its counts, and what it announced."""
    with matching.service.unit_of_work() as uow:
        counts = expiry.apply(uow, now, SCHEDULE, matching.erase)
    return counts, uow.published


def edges(start: datetime, days: int) -> tuple[datetime, datetime]:
    """The last moment a record of `start` is kept, and the first it is due."""
    return start + timedelta(days=days), start + timedelta(days=days) + SECOND


def test_a_volunteer_never_ready_is_erased_a_year_after_their_last_activity(
    matching: Matching,
) -> None:
    signup = signed_up(email="sam@example.org")
    matching.apply(signup)
    ready = signed_up(email="rea@example.org")
    matching.apply(ready)
    with matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, ready.volunteer_id, dict(READY_WHEN))
    active = aware(matching.get(Volunteer, signup.volunteer_id).active_at)
    kept, due = edges(active, SCHEDULE.unready_volunteers)
    assert expire(matching, kept)[0]["unready_volunteers"] == 0
    assert matching.get(Volunteer, signup.volunteer_id).status == VolunteerStatus.APPLIED

    counts, announced = expire(matching, due)
    assert counts["unready_volunteers"] == 1
    assert matching.get(Volunteer, signup.volunteer_id).status == VolunteerStatus.ERASED
    assert matching.get(Volunteer, ready.volunteer_id).status == VolunteerStatus.READY
    [request] = [m for m in announced if isinstance(m, c.ErasureRequested)]
    assert request.volunteer_ids == (signup.volunteer_id,)
    assert request.subject is None  # ids only: a later sign-up with the address is welcome
    assert (request.confirm, request.reason) == (False, expiry.UNREADY)
    [erased] = [m for m in announced if isinstance(m, c.PersonErased)]
    assert erased.erasure_id == request.erasure_id
    # The worker hears its own request later: logged already, nothing happens twice.
    assert matching.apply(request) == []
    with matching.service.sessions() as session:
        assert len(list(session.scalars(select(ErasureLog)))) == 1
    assert expire(matching, due + timedelta(days=1))[0]["unready_volunteers"] == 0


def test_an_activity_starts_the_year_again(matching: Matching) -> None:
    signup = signed_up(email="sam@example.org")
    matching.apply(signup)
    signed = datetime.now(UTC) - timedelta(days=200)
    with matching.service.sessions.begin() as session:  # they signed up 200 days ago
        session.execute(update(Volunteer).values(active_at=signed))
    with matching.service.unit_of_work() as uow:  # a check recorded today
        coordination.record_checks(uow, signup.volunteer_id, {"references": "verified"})
    later = aware(matching.get(Volunteer, signup.volunteer_id).active_at)
    assert later > signed + timedelta(days=199)
    assert expire(matching, edges(signed, SCHEDULE.unready_volunteers)[1])[0] == {
        "unready_volunteers": 0,
        "closed_requests": 0,
        "ended_matches": 0,
        "dbs_outcomes": 0,
    }
    assert expire(matching, edges(later, SCHEDULE.unready_volunteers)[1])[0] == {
        "unready_volunteers": 1,
        "closed_requests": 0,
        "ended_matches": 0,
        "dbs_outcomes": 0,
    }


def ended_match(matching: Matching, ended_at: datetime, *, closed: bool) -> tuple[Any, Any]:
    """A volunteer and a newcomer whose match ended at `ended_at`; the request closed (the
    newcomer wanted no other) or waiting again."""
    volunteer, newcomer = signed_up(email="v@example.org"), requested()
    matching.apply(volunteer)
    matching.apply(newcomer)
    with matching.service.sessions.begin() as session:
        session.add(
            Match(
                id=uuid.uuid4(),
                volunteer_id=volunteer.volunteer_id,
                newcomer_id=newcomer.newcomer_id,
                status=MatchStatus.ENDED,
                score=40,
                group_id=None,
                explanation={"factors": {"languages": 20}},
                reason="moved to Leeds",
                checkins_sent=[],
                proposed_at=ended_at - timedelta(days=90),
                approved_at=ended_at - timedelta(days=80),
                decided_at=ended_at,
            )
        )
        row = session.get(Newcomer, newcomer.newcomer_id)
        row.status = NewcomerStatus.CLOSED if closed else NewcomerStatus.WAITING
        session.get(Volunteer, volunteer.volunteer_id).status = VolunteerStatus.READY
    return volunteer, newcomer


def test_a_closed_request_is_erased_a_year_after_it_closed(matching: Matching) -> None:
    ended_at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    _, newcomer = ended_match(matching, ended_at, closed=True)
    kept, due = edges(ended_at, SCHEDULE.closed_requests)
    assert expire(matching, kept)[0]["closed_requests"] == 0
    counts, announced = expire(matching, due)
    assert counts["closed_requests"] == 1
    assert matching.get(Newcomer, newcomer.newcomer_id).status == NewcomerStatus.ERASED
    [request] = [m for m in announced if isinstance(m, c.ErasureRequested)]
    assert (request.newcomer_ids, request.reason) == ((newcomer.newcomer_id,), expiry.CLOSED)


def test_a_request_waiting_again_is_kept(matching: Matching) -> None:
    ended_at = datetime(2025, 1, 10, tzinfo=UTC)
    _, newcomer = ended_match(matching, ended_at, closed=False)
    assert expire(matching, ended_at + timedelta(days=800))[0]["closed_requests"] == 0
    assert matching.get(Newcomer, newcomer.newcomer_id).status == NewcomerStatus.WAITING


def test_an_ended_match_loses_its_details_after_two_years(matching: Matching) -> None:
    ended_at = datetime(2025, 3, 1, tzinfo=UTC)
    ended_match(matching, ended_at, closed=False)
    kept, due = edges(ended_at, SCHEDULE.ended_matches)
    assert expire(matching, kept)[0]["ended_matches"] == 0
    assert expire(matching, due)[0]["ended_matches"] == 1
    with matching.service.sessions() as session:
        [match] = session.scalars(select(Match))
        assert (match.explanation, match.reason) == ({}, None)
        assert (match.status, match.score) == (MatchStatus.ENDED, 40)  # the counts stay
    assert expire(matching, due)[0]["ended_matches"] == 0


def test_a_dbs_outcome_is_purged_when_its_retention_ends(matching: Matching) -> None:
    """Kept while the check is valid (three years by default, ADR 44): a ready volunteer's,
    so that the year's erasure of volunteers never ready does not come first."""
    signup = signed_up(email="dbs@example.org", has_dbs=True)
    matching.apply(signup)
    with matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, signup.volunteer_id, dict(READY_WHEN))
    before = matching.get(Volunteer, signup.volunteer_id)
    assert before.dbs == CheckOutcome.HELD
    recorded = aware(before.dbs_recorded_at)
    kept, due = edges(recorded, SCHEDULE.dbs)
    assert expire(matching, kept)[0]["dbs_outcomes"] == 0
    counts, _ = expire(matching, due)
    assert counts["dbs_outcomes"] == 1
    after = matching.get(Volunteer, signup.volunteer_id)
    assert (after.dbs, after.dbs_recorded_at) == (CheckOutcome.NONE, None)
    assert after.active_at == before.active_at  # not an activity of theirs
    assert after.status == before.status
