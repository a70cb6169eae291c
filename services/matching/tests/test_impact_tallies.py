"""Matching's counts for the impact report (ADR 42): sign-ups, readiness and the days it
took, requests, each step of a match and the days the newcomer waited, by day and group;
an erasure takes none of them away.

Real: the service on a migrated SQLite file, its handlers and use cases as the worker and
the API run them, its internal API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matching.adapters.models import Match, Newcomer, Volunteer
from matching.service_layer import coordination
from matching_harness import TOKEN, Matching, matching_on
from sanctuary import contracts as c
from sanctuary.vocabulary import READY_WHEN, MatchAction
from sanctuary_dev.messages import requested, signed_up
from sqlalchemy import select, update

LEEDS = uuid.uuid4()
SLOT = (("sat", "morning"),)


@pytest.fixture
def matching(tmp_path: Path) -> Iterator[Matching]:
    with matching_on(tmp_path) as made:
        yield made


def counted(matching: Matching, **headers: str) -> dict[tuple[str, str], int]:
    today = datetime.now(UTC).date()
    week = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    answer = matching.api.get(f"/internal/v1/tallies?{week}", headers={**TOKEN, **headers})
    assert answer.status_code == 200, answer.json
    assert answer.json["before"] == []  # nothing stood anywhere before yesterday
    found: dict[tuple[str, str], int] = {}
    for row in answer.json["period"]:
        assert row["group_id"] == str(LEEDS)
        found[(row["kind"], row["measure"])] = row["count"]
    months = {(row["kind"], row["measure"]): row["count"] for row in answer.json["months"]}
    assert sum(months.values()) == sum(found.values())  # one or two months, the same sums
    return found


def test_each_step_is_counted_once_with_its_days_and_an_erasure_keeps_them(
    matching: Matching,
) -> None:
    volunteer = signed_up(group_id=LEEDS, availability=SLOT, languages=("ar",))
    newcomer = requested(group_id=LEEDS, availability=SLOT, postcode="LS6 2BB", languages=("ar",))
    other = requested(group_id=LEEDS, availability=SLOT, postcode="LS99 9ZZ", languages=("ti",))
    for fact in (volunteer, newcomer, other, volunteer):  # the sign-up twice: counted once
        matching.apply(fact)
    # They asked 12 days ago, signed up 3 days ago (the clock of the rows, not of the test).
    with matching.service.sessions.begin() as session:
        ago = datetime.now(UTC) - timedelta(days=12)
        session.execute(update(Newcomer).values(registered_at=ago))
        session.execute(
            update(Volunteer).values(registered_at=datetime.now(UTC) - timedelta(days=3))
        )
    with matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer.volunteer_id, dict(READY_WHEN))
    with matching.service.unit_of_work() as uow:
        coordination.start_run(uow, dry_run=False)
    with matching.service.sessions() as session:
        [match] = session.scalars(select(Match)).all()
    for action in (MatchAction.APPROVE, MatchAction.ACTIVATE):
        with matching.service.unit_of_work() as uow:
            coordination.decide(uow, match.id, action)
    before = {
        ("volunteer", "signed_up"): 1,
        ("volunteer", "ready"): 1,
        ("volunteer", "ready_after:3"): 1,
        ("newcomer", "requested"): 2,
        ("match", "proposed"): 1,
        ("match", "approved"): 1,
        ("newcomer", "matched_after:12"): 1,
        ("match", "activated"): 1,
        # Where each stands now: the stocks, +1 and -1 as they moved.
        ("volunteer", "now:ready"): 1,
        ("newcomer", "now:matched"): 1,
        ("newcomer", "now:waiting"): 1,
        ("match", "now:active"): 1,
        # ... and where they stood on the way (sums of 0: in and out the same day).
        ("volunteer", "now:applied"): 0,
        ("newcomer", "now:proposed"): 0,
        ("match", "now:proposed"): 0,
        ("match", "now:approved"): 0,
    }
    assert counted(matching) == before
    erased = c.ErasureRequested(
        erasure_id=uuid.uuid4(),
        newcomer_ids=(newcomer.newcomer_id,),
        requested_at=datetime.now(UTC),
    )
    matching.apply(erased)  # their match ends as withdrawn: nothing counted goes away
    assert counted(matching) == {
        **before,
        ("match", "ended:withdrawn"): 1,
        ("newcomer", "now:matched"): 0,
        ("newcomer", "now:erased"): 1,
        ("match", "now:active"): 0,
        ("match", "now:ended"): 1,
    }
    assert counted(matching, **{"X-Groups": str(uuid.uuid4())}) == {}


def test_how_a_match_ended_is_one_of_the_reports_words(matching: Matching) -> None:
    """`ending` only with `end`, and only a word the impact report counts (a 422 naming it)."""
    match = uuid.uuid4()  # the body is judged before the match is looked for
    wrong_word = matching.api.post(
        f"/internal/v1/matches/{match}/end",
        json={"reason": "Moved", "ending": "lost_touch"},
        headers=TOKEN,
    )
    assert wrong_word.status_code == 422
    assert wrong_word.json["errors"][0]["field"] == "ending"
    not_an_end = matching.api.post(
        f"/internal/v1/matches/{match}/approve", json={"ending": "other"}, headers=TOKEN
    )
    assert not_an_end.status_code == 422
    assert not_an_end.json["errors"][0]["field"] == "ending"
