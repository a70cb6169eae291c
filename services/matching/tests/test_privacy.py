"""Erasure and subject access in matching (ADR 0025): the erasure handler around
`privacy.erase`, the guard before every handler, the lists and use cases that must never see
an erased person again, the export and its internal route; a person's own corrections and
pause (ADR 0027); each on a throwaway SQLite file
migrated as in production. No broker: the queue sweep is left out here (the integration test
sweeps real queues)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from matching.adapters.models import ErasureLog, Match, Newcomer, Outbox, Tombstone, Volunteer
from matching.domain import lifecycle, scoring
from matching.domain.groups import run_by_group
from matching.service_layer import (
    coordination,
    moves,
    population,
    privacy,
    safeguarding,
    views,
)
from matching_harness import SECRET, TOKEN, Matching, matching_on
from sanctuary import contracts as c
from sanctuary import erasure
from sanctuary.links import address_hash
from sanctuary.vocabulary import READY_WHEN, MatchStatus, NewcomerStatus, VolunteerStatus
from sanctuary_dev.messages import requested, signed_up
from sqlalchemy import select

LEEDS = uuid.uuid4()
EXPLANATION = {"factors": {"languages": 20}, "rules_passed": ["language"], "not_chosen": []}


@pytest.fixture
def matching(tmp_path: Path) -> Iterator[Matching]:
    with matching_on(tmp_path) as made:
        yield made


def volunteer(matching: Matching, email: str, **more: Any) -> uuid.UUID:
    signup = signed_up(**{"name": "Sam Smith", "email": email, "group_id": LEEDS, **more})
    matching.apply(signup, datetime.now(UTC))
    return signup.volunteer_id  # type: ignore[no-any-return]


def newcomer(matching: Matching, **more: Any) -> uuid.UUID:
    request = requested(**{"name": "Yonas Tesfaye", "group_id": LEEDS, **more})
    matching.apply(request, datetime.now(UTC))
    return request.newcomer_id  # type: ignore[no-any-return]


def matched(
    matching: Matching,
    volunteer_id: uuid.UUID,
    newcomer_id: uuid.UUID,
    status: MatchStatus,
    reason: str | None = None,
) -> uuid.UUID:
    """A match in `status`, the newcomer's status to go with it."""
    match_id = uuid.uuid4()
    now = datetime.now(UTC)
    with matching.service.sessions.begin() as session:
        session.add(
            Match(
                id=match_id,
                volunteer_id=volunteer_id,
                newcomer_id=newcomer_id,
                status=status,
                score=42,
                group_id=LEEDS,
                explanation=EXPLANATION,
                reason=reason,
                checkins_sent=[],
                proposed_at=now,
                approved_at=None if status == MatchStatus.PROPOSED else now,
                decided_at=None,
            )
        )
        person = session.get(Newcomer, newcomer_id)
        assert person is not None
        person.status = {
            MatchStatus.PROPOSED: NewcomerStatus.PROPOSED,
            MatchStatus.APPROVED: NewcomerStatus.MATCHED,
            MatchStatus.ACTIVE: NewcomerStatus.MATCHED,
        }.get(status, NewcomerStatus.CLOSED)
    return match_id


def erasure_of(
    email: str | None, *, volunteers: tuple[uuid.UUID, ...] = (), **more: Any
) -> c.ErasureRequested:
    return c.ErasureRequested(
        erasure_id=uuid.uuid4(),
        subject=address_hash(SECRET, email) if email else None,
        volunteer_ids=volunteers,
        requested_at=datetime.now(UTC),
        **more,
    )


def test_a_matched_volunteer_is_anonymised_and_their_match_ends_as_withdrawn(
    matching: Matching,
) -> None:
    """Found by address; the open match ends (announced, the newcomer waits again); every
    match of theirs loses its explanation and a coordinator's reason; ids, status, score and
    times stay; their outbox rows go; person.erased counts it all."""
    sam = volunteer(matching, "Sam@Example.org", languages=("en", "ar"), gender="female")
    yonas, amina = newcomer(matching), newcomer(matching)
    open_match = matched(matching, sam, yonas, MatchStatus.ACTIVE)
    old_match = matched(matching, sam, amina, MatchStatus.ENDED, reason="Amina moved away")
    published = matching.apply(erasure_of("sam@example.org"))
    assert [type(f) for f in published] == [c.MatchEnded, c.PersonErased]
    ended, erased = published
    assert (ended.match_id, ended.reason) == (open_match, lifecycle.WITHDRAWN)
    assert erased.counts == {
        "volunteers": 1,
        "newcomers": 0,
        "referrer_addresses": 0,
        "matches_ended": 1,
        "matches_anonymised": 2,
        "outbox_messages": 1,  # their volunteer.registered
    }
    assert erased.kept == {}
    row = matching.get(Volunteer, sam)
    assert (row.name, row.email, row.postcode, row.district) == ("", "", "", "")
    assert (row.languages, row.availability, row.interests, row.gender) == ([], [], [], None)
    assert (row.status, row.group_id) == (VolunteerStatus.ERASED, LEEDS)
    now_ended = matching.get(Match, open_match)
    assert (now_ended.status, now_ended.reason, now_ended.explanation) == (
        MatchStatus.ENDED,
        lifecycle.WITHDRAWN,
        {},
    )
    assert (now_ended.score, now_ended.volunteer_id, now_ended.decided_at is not None) == (
        42,
        sam,
        True,
    )
    before = matching.get(Match, old_match)
    assert (before.status, before.reason, before.explanation) == (MatchStatus.ENDED, None, {})
    assert matching.get(Newcomer, yonas).status == NewcomerStatus.WAITING
    assert matching.get(Newcomer, yonas).name == "Yonas Tesfaye"
    with matching.service.sessions() as session:
        stones = {s.key: s.kind for s in session.scalars(select(Tombstone))}
        outbox = list(session.scalars(select(Outbox.type)))
        logged = session.scalars(select(ErasureLog)).one()
    assert stones == {
        str(sam): erasure.ID_KIND,
        address_hash(SECRET, "sam@example.org"): erasure.ADDRESS_KIND,
    }
    assert sorted(outbox) == ["match.ended", "person.erased"]
    assert logged.counts == erased.counts


def test_an_erased_newcomers_proposal_ends_too_and_the_volunteer_stays(
    matching: Matching,
) -> None:
    """By newcomer id (they gave no address): a proposal is withdrawn like any open match."""
    sam = volunteer(matching, "sam@example.org")
    yonas = newcomer(matching, email="yonas@example.org", phone="+441134960123")
    proposal = matched(matching, sam, yonas, MatchStatus.PROPOSED)
    assert matching.get(Newcomer, yonas).phone == "+441134960123"
    published = matching.apply(erasure_of(None, newcomer_ids=(yonas,)))
    assert [type(f) for f in published] == [c.MatchEnded, c.PersonErased]
    assert published[1].counts["newcomers"] == 1
    assert published[1].counts["matches_ended"] == 1
    row = matching.get(Newcomer, yonas)
    assert (row.name, row.email, row.referrer_email, row.needs) == ("", None, None, [])
    assert row.phone is None
    assert row.status == NewcomerStatus.ERASED
    assert matching.get(Match, proposal).status == MatchStatus.ENDED
    assert matching.get(Volunteer, sam).email == "sam@example.org"


def test_a_referrer_loses_their_address_and_the_newcomer_they_referred_stays(
    matching: Matching,
) -> None:
    """The support worker who referred a newcomer is not the newcomer."""
    yonas = newcomer(matching, referrer_email="Worker@Charity.example")
    published = matching.apply(erasure_of("worker@charity.example"))
    counts = published[-1].counts
    assert (counts["referrer_addresses"], counts["newcomers"]) == (1, 0)
    row = matching.get(Newcomer, yonas)
    assert (row.referrer_email, row.name, row.status) == (None, "Yonas Tesfaye", "waiting")
    with matching.service.sessions() as session:
        assert session.get(Tombstone, str(yonas)) is None


def test_an_erased_person_is_never_listed_counted_proposed_or_changed(
    matching: Matching,
) -> None:
    """Lists, the group summary, the unplaced list, a run's population, a status read,
    checks, a move and the suggestions: as if they did not exist."""
    sam = volunteer(matching, "sam@example.org")
    nobody_placed = volunteer(matching, "far@example.org", group_id=None)
    yonas = newcomer(matching)
    with matching.service.unit_of_work() as uow:
        ready = {"references": "verified", "screening": "passed", "training": "completed"}
        coordination.record_checks(uow, sam, ready)
    matching.apply(erasure_of(None, volunteers=(sam, nobody_placed), newcomer_ids=(yonas,)))
    with matching.service.sessions() as session:
        assert views.volunteers(session, None) == []
        assert views.volunteers(session, VolunteerStatus.ERASED) == []
        assert views.unplaced(session) == []
        assert all(row[s] == 0 for row in views.summary(session) for s in ("ready", "waiting"))
        found = population.of(session, datetime.now(UTC))
        assert (found.volunteers, found.newcomers) == ((), ())
        for read, ident in ((views.volunteer, sam), (views.newcomer, yonas)):
            with pytest.raises(coordination.NotFound):
                read(session, ident)
    with pytest.raises(coordination.NotFound), matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, sam, {"references": "verified"})
    with pytest.raises(coordination.NotFound), matching.service.unit_of_work() as uow:
        moves.move(uow, "newcomer", yonas, uuid.uuid4())
    answer = matching.api.get(f"/internal/v1/volunteers/{sam}", headers=TOKEN)
    assert answer.status_code == 404
    assert matching.api.get("/internal/v1/volunteers", headers=TOKEN).json == []


def test_a_late_sign_up_about_them_is_dropped_a_new_one_is_welcome(matching: Matching) -> None:
    """Their id is void for ever; their address up to the erasure only (a new consent after
    it is welcome); a training for the erased id changes nothing."""
    sam = volunteer(matching, "sam@example.org")
    asked = erasure_of("sam@example.org")
    matching.apply(asked)
    later = asked.requested_at + timedelta(minutes=1)
    assert matching.apply(signed_up(volunteer_id=sam, email="new@example.org"), later) == []
    early = signed_up(email="SAM@example.org")
    assert matching.apply(early, asked.requested_at - timedelta(seconds=1)) == []
    welcome = signed_up(email="sam@example.org")
    assert [type(f) for f in matching.apply(welcome, later)] == [c.VolunteerRegistered]
    training = c.TrainingCompleted(
        event_id=uuid.uuid4(),
        registration_id=uuid.uuid4(),
        topic="safeguarding",
        completed_at=later,
        volunteer_id=sam,
        email="sam@example.org",
    )
    assert matching.apply(training, later) == []
    with matching.service.sessions() as session:
        assert session.get(Volunteer, early.volunteer_id) is None
        assert session.get(Volunteer, welcome.volunteer_id) is not None
        assert session.get(Volunteer, sam).status == VolunteerStatus.ERASED  # type: ignore[union-attr]


def test_a_second_copy_changes_nothing_and_a_second_request_counts_nothing_new(
    matching: Matching,
) -> None:
    """Applied once per erasure id; another erasure of the same person finds them erased."""
    sam = volunteer(matching, "sam@example.org")
    asked = erasure_of("sam@example.org")
    assert [type(f) for f in matching.apply(asked)] == [c.PersonErased]
    assert matching.apply(asked) == []
    again = matching.apply(erasure_of(None, volunteers=(sam,)))
    assert again[-1].counts["volunteers"] == 0


def test_withdrawing_from_a_closed_match_is_refused() -> None:
    """Only an open match can be withdrawn from; a proposal can."""
    assert lifecycle.withdraw(MatchStatus.PROPOSED) == MatchStatus.ENDED
    for closed in (MatchStatus.ENDED, MatchStatus.REJECTED):
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.withdraw(closed)


# --- subject access ----------------------------------------------------------------------------


def test_the_export_holds_their_rows_and_the_partner_by_first_name_only(
    matching: Matching,
) -> None:
    """Every column of their row, their match without the explanation, the partner's first
    name and nothing else of theirs, the requests they referred, outbox rows about them."""
    sam = volunteer(matching, "sam@example.org")
    yonas = newcomer(matching, referrer_email="sam@example.org", email="yonas@example.org")
    match_id = matched(matching, sam, yonas, MatchStatus.APPROVED)
    with matching.service.sessions() as session:
        found = privacy.export(session, SECRET, "Sam@example.org")
    records = found["records"]
    [row] = records["volunteers"]
    assert (row["id"], row["email"], row["name"]) == (str(sam), "sam@example.org", "Sam Smith")
    assert set(row) == {col.key for col in Volunteer.__table__.columns}
    assert records["newcomers"] == []
    [match] = records["matches"]
    assert (match["id"], match["volunteer_id"], match["partner"]) == (
        str(match_id),
        str(sam),
        "Yonas",
    )
    assert "newcomer_id" not in match
    assert "explanation" not in match
    assert [r["referrer_email"] for r in records["referrals"]] == ["sam@example.org"]
    assert [o["type"] for o in records["outbox"]] == ["volunteer.registered"]
    assert found["ids"] == {"volunteer_ids": [str(sam)], "newcomer_ids": [], "registration_ids": []}
    assert found["group_ids"] == [str(LEEDS)]
    text = json.dumps(found)
    for theirs in (str(yonas), "yonas@example.org", "Tesfaye"):
        assert theirs not in text
    with matching.service.sessions() as session:
        as_newcomer = privacy.export(session, SECRET, None, newcomer_ids=[yonas])
    assert as_newcomer["records"]["matches"][0]["partner"] == "Sam"
    assert str(sam) not in json.dumps(as_newcomer)


def test_the_subject_route_answers_for_the_service_and_refuses_a_bad_body(
    matching: Matching, caplog: pytest.LogCaptureFixture
) -> None:
    """200 with service, records, ids and group_ids; 422 naming the field; the credential;
    the address is never logged."""
    sam = volunteer(matching, "sam@example.org")
    body = {"email": "sam@example.org", "volunteer_ids": [str(sam)]}
    with caplog.at_level(logging.DEBUG):
        answer = matching.api.post("/internal/v1/subjects", json=body, headers=TOKEN)
    assert answer.status_code == 200
    assert set(answer.json) == {"service", "records", "ids", "group_ids"}
    assert answer.json["service"] == "matching"
    assert answer.json["ids"]["volunteer_ids"] == [str(sam)]
    assert "sam@example.org" not in caplog.text
    nobody = matching.api.post("/internal/v1/subjects", json={"email": None}, headers=TOKEN)
    assert nobody.status_code == 200
    assert nobody.json["records"]["volunteers"] == []
    bad = matching.api.post("/internal/v1/subjects", json={"newcomer_ids": ["nope"]}, headers=TOKEN)
    assert bad.status_code == 422
    assert bad.content_type.startswith("application/problem+json")
    assert [e["field"] for e in bad.json["errors"]] == ["newcomer_ids.0"]
    assert matching.api.post("/internal/v1/subjects", json=body).status_code in (401, 403)


def test_a_run_that_read_a_volunteer_before_their_erasure_proposes_nothing_for_them(
    matching: Matching,
) -> None:
    """The run reads its population, the volunteer is erased, then the run records its
    proposals: each person is read again under their row lock, and the erased one is not
    proposed (nor is the newcomer left proposed to nobody)."""
    volunteer_id = volunteer(
        matching, "sam@example.org", languages=("ti",), availability=(("sat", "morning"),)
    )
    newcomer_id = newcomer(matching, languages=("ti",), postcode="LS6 2BB")
    with matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer_id, dict(READY_WHEN))
    now = datetime.now(UTC)
    with matching.service.sessions() as session:
        result = run_by_group(population.of(session, now), None)
    [proposal] = result.proposals
    assert proposal.volunteer_id == volunteer_id
    matching.apply(erasure_of("sam@example.org"))
    with matching.service.unit_of_work() as uow:
        coordination._propose(uow, proposal, now)
    assert uow.published == []
    with matching.service.sessions() as session:
        assert session.scalars(select(Match)).all() == []
        assert session.get(Newcomer, newcomer_id).status == NewcomerStatus.WAITING  # type: ignore[union-attr]


# --- a person's own changes (ADR 0027): person.details_changed -----------------------------


def proposals(matching: Matching) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """A run, recorded: the pairs it proposed."""
    with matching.service.unit_of_work() as uow:
        result = coordination.start_run(uow, dry_run=False)
    return [(p.volunteer_id, p.newcomer_id) for p in result.proposals]


def change(**fields: Any) -> c.DetailsChanged:
    """The fact as the worker receives it: dumped by the gateway, loaded from the queue."""
    made = c.DetailsChanged(change_id=uuid.uuid4(), changed_at=datetime.now(UTC), **fields)
    return c.load(*c.dump(made))  # type: ignore[no-any-return]


def ready_pair(matching: Matching) -> tuple[uuid.UUID, uuid.UUID]:
    """A ready volunteer and a waiting newcomer who would be matched (same language, area)."""
    both = {"languages": ("ti",), "availability": (("sat", "morning"),), "group_id": LEEDS}
    signup = signed_up(email="sam@example.org", **both)
    request = requested(postcode="LS6 2BB", **both)
    matching.apply(signup)
    matching.apply(request)
    with matching.service.unit_of_work() as uow:
        coordination.record_checks(uow, signup.volunteer_id, dict(READY_WHEN))
    return signup.volunteer_id, request.newcomer_id


def test_corrected_details_replace_the_old_ones(matching: Matching) -> None:
    volunteer_id, newcomer_id = ready_pair(matching)
    matching.apply(
        change(
            volunteer_ids=(volunteer_id,),
            name="Samira Smith",
            postcode="bd1 1aa",
            languages=("ti", "ar"),
            availability=(("mon", "evening"),),
        )
    )
    volunteer = matching.get(Volunteer, volunteer_id)
    assert (volunteer.name, volunteer.postcode, volunteer.district) == (
        "Samira Smith",
        "BD1 1AA",
        "BD1",
    )
    assert (volunteer.languages, volunteer.availability) == (["ti", "ar"], [["mon", "evening"]])
    newcomer = matching.get(Newcomer, newcomer_id)
    matching.apply(change(newcomer_ids=(newcomer_id,), languages=("am",)))
    after = matching.get(Newcomer, newcomer_id)
    assert after.languages == ["am"]
    assert (after.name, after.postcode) == (newcomer.name, newcomer.postcode)  # None: unchanged


def test_a_paused_volunteer_is_not_proposed_until_they_resume(matching: Matching) -> None:
    volunteer_id, newcomer_id = ready_pair(matching)
    matching.apply(change(volunteer_ids=(volunteer_id,), paused=True))
    assert matching.get(Volunteer, volunteer_id).paused_at is not None
    assert proposals(matching) == []
    listed = matching.api.get("/internal/v1/volunteers", headers=TOKEN).json
    assert [v["paused_since"] is not None for v in listed] == [True]
    matching.apply(change(volunteer_ids=(volunteer_id,), paused=False))
    assert matching.get(Volunteer, volunteer_id).paused_at is None
    assert proposals(matching) == [(volunteer_id, newcomer_id)]


def test_a_paused_newcomer_waits(matching: Matching) -> None:
    volunteer_id, newcomer_id = ready_pair(matching)
    matching.apply(change(newcomer_ids=(newcomer_id,), paused=True))
    assert proposals(matching) == []
    assert matching.get(Newcomer, newcomer_id).status == NewcomerStatus.WAITING
    matching.apply(change(newcomer_ids=(newcomer_id,), paused=False))
    assert proposals(matching) == [(volunteer_id, newcomer_id)]


def test_a_pause_during_a_run_is_respected(matching: Matching) -> None:
    """The run read them before they paused: the proposal is not recorded."""
    volunteer_id, _newcomer_id = ready_pair(matching)
    with matching.service.sessions() as session:
        result = run_by_group(population.of(session, datetime.now(UTC)), None)
    assert len(result.proposals) == 1
    matching.apply(change(volunteer_ids=(volunteer_id,), paused=True))
    with matching.service.unit_of_work() as uow:
        for proposal in result.proposals:
            coordination._propose(uow, proposal, datetime.now(UTC))
    with matching.service.sessions() as session:
        assert list(session.scalars(select(Match))) == []


def test_a_match_paused_under_a_concern_during_a_run_keeps_its_volunteer_from_others(
    matching: Matching,
) -> None:
    """The run read the volunteer with a free place before a lead paused their match: the
    proposal to someone else is not recorded."""
    volunteer_id, _ = ready_pair(matching)
    (first,) = proposals(matching)
    with matching.service.unit_of_work() as uow:
        uow.session.get(Volunteer, volunteer_id).max_matches = 2
    later = requested(
        postcode="LS6 2BB", languages=("ti",), availability=(("sat", "morning"),), group_id=LEEDS
    )
    matching.apply(later)
    with matching.service.sessions() as session:
        result = run_by_group(population.of(session, datetime.now(UTC)), None)
    assert [p.newcomer_id for p in result.proposals] == [later.newcomer_id]
    with matching.service.sessions() as session:
        match_id = session.scalars(select(Match.id)).one()
    with matching.service.unit_of_work() as uow:
        safeguarding.pause(uow, match_id, paused=True)
    with matching.service.unit_of_work() as uow:
        for proposal in result.proposals:
            coordination._propose(uow, proposal, datetime.now(UTC))
    with matching.service.sessions() as session:
        assert [m.newcomer_id for m in session.scalars(select(Match))] == [first[1]]


def test_an_erased_persons_change_is_dropped(matching: Matching) -> None:
    volunteer_id, _ = ready_pair(matching)
    matching.apply(
        c.ErasureRequested(
            erasure_id=uuid.uuid4(), volunteer_ids=(volunteer_id,), requested_at=datetime.now(UTC)
        )
    )
    matching.apply(change(volunteer_ids=(volunteer_id,), name="Back Again", paused=True))
    erased = matching.get(Volunteer, volunteer_id)
    assert erased.name != "Back Again"
    assert erased.paused_at is None


def test_the_special_consent_is_kept_and_its_withdrawal_removes_the_data(
    matching: Matching,
) -> None:
    """ADR 0029: the stamp of the separate consent is kept with the request; withdrawn, the
    languages, gender and needs go, and the matcher still pairs them, saying what it could
    not use."""
    volunteer_id, newcomer_id = ready_pair(matching)
    stamp = datetime(2026, 12, 5, 9, tzinfo=UTC)
    with matching.service.sessions.begin() as session:
        row = session.get(Newcomer, newcomer_id)
        row.special_consent_at, row.special_consent_version = stamp, "2026-12-05"
        row.gender, row.needs, row.same_gender_only = "female", ["forms"], False
    matching.apply(change(newcomer_ids=(newcomer_id,), special_consent=False))
    newcomer = matching.get(Newcomer, newcomer_id)
    assert (newcomer.languages, newcomer.gender, newcomer.needs) == ([], None, [])
    assert (newcomer.special_consent_at, newcomer.special_consent_version) == (None, None)
    assert newcomer.name == "Yonas"  # the rest stays
    with matching.service.unit_of_work() as uow:
        result = coordination.start_run(uow, dry_run=False)
    [proposal] = result.proposals
    assert proposal.volunteer_id == volunteer_id
    assert proposal.explanation()["not_used"] == [scoring.NOT_USED_LANGUAGES]


def test_a_sign_up_carries_its_special_consent_stamp(matching: Matching) -> None:
    stamp = datetime(2026, 12, 5, 9, tzinfo=UTC)
    signup = signed_up(special_consent_at=stamp, special_consent_version="2026-12-05")
    matching.apply(signup)
    volunteer = matching.get(Volunteer, signup.volunteer_id)
    assert (erasure.aware(volunteer.special_consent_at), volunteer.special_consent_version) == (
        stamp,
        "2026-12-05",
    )
