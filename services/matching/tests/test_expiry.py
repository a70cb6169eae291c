"""A volunteer's DBS check and safeguarding training running out (issue 19, ADR 44): the pure
rules on both sides of each edge, then the clock's use case on matching's own service with
the clock set by hand: each reminder once, out of the pool on the day, back after a
refresher training, their match flagged and not ended.

Real: matching on a migrated SQLite file, its handlers as the worker runs them, its internal
API; time-machine sets the moment checks are recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from matching.adapters.models import Match, Volunteer
from matching.domain import expiry, lifecycle
from matching.service_layer import coordination
from matching.service_layer import expiry as watching
from matching_harness import TOKEN, Matching, matching_on
from sanctuary import contracts as c
from sanctuary.validity import Validity
from sanctuary.vocabulary import READY_WHEN, Check, CheckOutcome, MatchAction, Standing
from sanctuary_dev.messages import requested, signed_up
from sqlalchemy import select

RECORDED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
VALIDITY = Validity(dbs=365, training=400)  # two different lengths: each check its own
LONG_TRAINING = Validity(dbs=365, training=2000)  # only the DBS check runs out in the test
DBS_ENDS = RECORDED + timedelta(days=365)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("before", "owed", "done"),
    [
        (timedelta(days=60) + SECOND, None, ()),
        (timedelta(days=60), 60, ("dbs:60",)),
        (timedelta(days=30) + SECOND, 60, ("dbs:60",)),
        (timedelta(days=30), 30, ("dbs:30", "dbs:60")),
        (timedelta(days=7), 7, ("dbs:7", "dbs:30", "dbs:60")),
        (SECOND, 7, ("dbs:7", "dbs:30", "dbs:60")),
        (timedelta(0), None, ()),  # run out: a lapse, not a reminder
    ],
)
def test_the_reminder_owed_on_each_side_of_each_threshold(
    before: timedelta, owed: int | None, done: tuple[str, ...]
) -> None:
    found = expiry.reminder(Check.DBS, DBS_ENDS, DBS_ENDS - before, [])
    if owed is None:
        assert found is None
    else:
        assert found is not None
        assert (found.days, set(found.done)) == (owed, set(done))


def test_a_reminder_sent_is_not_owed_again_and_a_clock_away_sends_only_the_latest() -> None:
    at_30 = DBS_ENDS - timedelta(days=30)
    assert expiry.reminder(Check.DBS, DBS_ENDS, at_30, ["dbs:30", "dbs:60"]) is None
    late = expiry.reminder(Check.DBS, DBS_ENDS, DBS_ENDS - timedelta(days=5), [])
    assert late is not None
    assert late.days == 7
    assert set(late.done) == {"dbs:60", "dbs:30", "dbs:7"}


def test_a_check_lapses_on_the_moment_it_runs_out_and_stands_amber_before() -> None:
    assert not expiry.lapsed(DBS_ENDS, DBS_ENDS - SECOND)
    assert expiry.lapsed(DBS_ENDS, DBS_ENDS)
    assert expiry.standing(DBS_ENDS, DBS_ENDS - timedelta(days=60) - SECOND) == Standing.VALID
    assert expiry.standing(DBS_ENDS, DBS_ENDS - timedelta(days=60)) == Standing.RUNNING_OUT
    assert expiry.standing(DBS_ENDS, DBS_ENDS) == Standing.LAPSED
    assert expiry.standing(None, DBS_ENDS) is None


def test_a_lapsed_check_is_missing_and_the_volunteer_not_ready() -> None:
    cleared = {**dict(READY_WHEN), Check.DBS: CheckOutcome.LAPSED}
    assert lifecycle.missing_checks(cleared) == (Check.DBS,)
    assert lifecycle.volunteer_status(cleared, "ready") == "applied"
    trained_long_ago = {**cleared, Check.DBS: CheckOutcome.HELD, Check.TRAINING: "lapsed"}
    assert lifecycle.missing_checks(trained_long_ago) == (Check.TRAINING,)


@pytest.fixture
def matching(tmp_path: Path) -> Iterator[Matching]:
    with matching_on(tmp_path) as made:
        yield made


def watch(matching: Matching, now: datetime, validity: Validity = LONG_TRAINING) -> list[object]:
    """One tick of the clock's watch at `now`: the facts it announced."""
    with matching.service.unit_of_work() as uow:
        watching.watch(uow, now, validity)
        return list(uow.published)


def test_reminders_once_each_out_of_the_pool_on_the_day_and_back_after_a_refresher(
    matching: Matching,
) -> None:
    group = uuid.uuid4()
    fact = signed_up(group_id=group, availability=(("sat", "morning"),), languages=("ar",))
    matching.apply(fact)
    volunteer_id = fact.volunteer_id
    with time_machine.travel(RECORDED, tick=False), matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer_id, {**dict(READY_WHEN), Check.DBS: "held"})
    newcomer = requested(group_id=group, availability=(("sat", "morning"),), languages=("ar",),
                         postcode="LS6 2BB")  # fmt: skip
    matching.apply(newcomer)
    with matching.service.unit_of_work() as uow:
        coordination.start_run(uow, dry_run=False)
    with matching.service.sessions() as session:
        match_id = session.scalars(select(Match.id)).one()
    with matching.service.unit_of_work() as uow:
        coordination.decide(uow, match_id, MatchAction.APPROVE)

    def reminded(facts: list[object]) -> list[tuple[str, int]]:
        return [(f.check, f.days) for f in facts if isinstance(f, c.VolunteerCheckRenewalDue)]

    assert watch(matching, DBS_ENDS - timedelta(days=60) - SECOND) == []
    assert reminded(watch(matching, DBS_ENDS - timedelta(days=60))) == [("dbs", 60)]
    assert watch(matching, DBS_ENDS - timedelta(days=59)) == []  # once
    assert reminded(watch(matching, DBS_ENDS - timedelta(days=30))) == [("dbs", 30)]
    assert reminded(watch(matching, DBS_ENDS - timedelta(days=7))) == [("dbs", 7)]
    assert watch(matching, DBS_ENDS - SECOND) == []
    assert matching.get(Volunteer, volunteer_id).status == "ready"

    [lapsed] = watch(matching, DBS_ENDS)
    assert isinstance(lapsed, c.VolunteerCheckLapsed)
    assert (lapsed.check, lapsed.open_matches, lapsed.ran_out) == ("dbs", 1, DBS_ENDS)
    after = matching.get(Volunteer, volunteer_id)
    assert (after.status, after.dbs, after.dbs_recorded_at) == ("applied", "lapsed", None)
    assert watch(matching, DBS_ENDS + timedelta(days=1)) == []  # lapsed once
    match = matching.api.get("/internal/v1/matches?status=approved", headers=TOKEN).json
    assert match[0]["volunteer"]["lapsed"] == ["dbs"]  # flagged, not ended
    assert match[0]["status"] == "approved"
    run = matching.api.post("/internal/v1/runs", json={"dry_run": True}, headers=TOKEN).json
    assert run["left_out"] == [
        {"volunteer_id": str(volunteer_id), "why": "DBS check ran out: not matched until renewed"}
    ]
    listed = matching.api.get("/internal/v1/volunteers", headers=TOKEN).json[0]["dated"]
    assert listed["dbs"] == {"runs_out": None, "standing": "lapsed"}

    # Renewed a year on: ready again, with no other step, its reminders forgotten.
    renewed = DBS_ENDS + timedelta(days=10)
    with time_machine.travel(renewed, tick=False), matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer_id, {Check.DBS: CheckOutcome.HELD})
    again = matching.get(Volunteer, volunteer_id)
    assert (again.status, again.checks_reminded) == ("ready", [])
    assert watch(matching, renewed + timedelta(days=305)) == [
        c.VolunteerCheckRenewalDue(
            volunteer_id=volunteer_id,
            check=Check.DBS,
            runs_out=renewed + timedelta(days=365),
            days=60,
            group_id=group,
        )
    ]


def test_a_refresher_training_restores_a_volunteer_whose_training_ran_out(
    matching: Matching,
) -> None:
    fact = signed_up(email="v@example.org")
    matching.apply(fact)
    with time_machine.travel(RECORDED, tick=False), matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, fact.volunteer_id, dict(READY_WHEN))
    trained_until = RECORDED + timedelta(days=400)
    [lapsed] = watch(matching, trained_until, VALIDITY)
    assert isinstance(lapsed, c.VolunteerCheckLapsed)
    assert matching.get(Volunteer, fact.volunteer_id).status == "applied"
    refresher = c.TrainingCompleted(
        event_id=uuid.uuid4(),
        registration_id=uuid.uuid4(),
        topic="safeguarding",
        completed_at=trained_until + timedelta(days=3),
        volunteer_id=fact.volunteer_id,
        email="v@example.org",
    )
    with time_machine.travel(trained_until + timedelta(days=3), tick=False):
        matching.apply(refresher)
    back = matching.get(Volunteer, fact.volunteer_id)
    assert (back.status, back.training) == ("ready", "completed")
    assert back.training_completed_at is not None
