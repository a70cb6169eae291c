"""A person's rights over what matching holds about them (ADR 0025): erasure and subject
access.

A volunteer or a newcomer is anonymised, not deleted: their matches keep the ids, status,
score and times the network's anonymous counts need, and lose everything personal. A match
still open ends as withdrawn, announced as any ending is, so the other person is told.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sanctuary import erasure, erasure_records
from sanctuary.contracts import ErasureRequested, MatchEnded
from sanctuary.links import address_hash
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import CheckOutcome, NewcomerStatus, VolunteerStatus
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matching.adapters.models import Match, Newcomer, Outbox, Volunteer
from matching.domain import lifecycle, pairing
from matching.service_layer import impact

Person = Volunteer | Newcomer
P = TypeVar("P", Volunteer, Newcomer)


def erase(
    request: ErasureRequested, keys: erasure.Keys, uow: UnitOfWork, *, secret: str
) -> erasure.Erased:
    """Anonymise the volunteers and newcomers `keys` name, end their open matches as
    withdrawn, strip their matches, forget them as a referrer and purge the outbox of them."""
    session = uow.session
    volunteers = people(session, Volunteer, keys, secret)
    newcomers = people(session, Newcomer, keys, secret)
    erased_newcomers = {n.id for n in newcomers}
    ids = {v.id for v in volunteers} | erased_newcomers
    # Matches first, then people: the order a coordinator's decision locks them in.
    theirs = matches_of(session, volunteers, newcomers, lock=True)
    for person in (*volunteers, *newcomers):
        session.refresh(person, with_for_update=True)
    ended = [m for m in theirs if m.status in lifecycle.OPEN]
    for match in ended:
        withdraw(uow, match, newcomer_stays=match.newcomer_id not in erased_newcomers)
    counts = {
        "volunteers": sum(anonymise_volunteer(v) for v in volunteers),
        "newcomers": sum(anonymise_newcomer(n) for n in newcomers),
        "referrer_addresses": forget_referrer(session, keys, secret, erased_newcomers),
        "matches_ended": len(ended),
        "matches_anonymised": sum(anonymise_match(m) for m in theirs),
    }
    everything = keys | erasure.Keys(frozenset(str(i) for i in ids))
    counts["outbox_messages"] = erasure_records.purge_outbox(session, Outbox, everything, secret)
    return erasure.Erased(counts=counts, ids=frozenset(str(i) for i in ids))


def people(session: Session, model: type[P], keys: erasure.Keys, secret: str) -> list[P]:
    """The rows of `model` the keys name: by id, or by the keyed hash of their email (every
    stored address is hashed here, ADR 0025)."""
    wanted = {uuid.UUID(i) for i in keys.ids}
    if keys.addresses:
        addressed = session.execute(select(model.id, model.email).where(model.email != ""))
        wanted |= {
            row_id
            for row_id, email in addressed
            if email and address_hash(secret, email) in keys.addresses
        }
    if not wanted:
        return []
    return list(session.scalars(select(model).where(model.id.in_(wanted)).order_by(model.id)))


def matches_of(
    session: Session,
    volunteers: Sequence[Volunteer],
    newcomers: Sequence[Newcomer],
    *,
    lock: bool = False,
) -> list[Match]:
    """Every match of these people, in any status, oldest first."""
    if not volunteers and not newcomers:
        return []
    query = select(Match).where(
        or_(
            Match.volunteer_id.in_([v.id for v in volunteers]),
            Match.newcomer_id.in_([n.id for n in newcomers]),
        )
    )
    query = query.order_by(Match.proposed_at, Match.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def withdraw(uow: UnitOfWork, match: Match, *, newcomer_stays: bool) -> None:
    """End an open match because one of the pair is erased, and announce it as any ending
    is. A newcomer who stays waits for another befriender: the ending was not theirs."""
    match.status = lifecycle.withdraw(match.status)
    match.decided_at, match.reason = datetime.now(UTC), lifecycle.WITHDRAWN
    ended = impact.ended(lifecycle.WITHDRAWN)
    impact.count(uow.session, match.decided_at, match.group_id, impact.MATCH, ended)
    if newcomer_stays:
        newcomer = uow.session.get(Newcomer, match.newcomer_id)
        assert newcomer is not None
        newcomer.status = NewcomerStatus.WAITING
    uow.publish(
        MatchEnded(
            match_id=match.id,
            volunteer_id=match.volunteer_id,
            newcomer_id=match.newcomer_id,
            group_id=match.group_id,
            reason=lifecycle.WITHDRAWN,
        )
    )


def anonymise_match(match: Match) -> bool:
    """Drop the explanation (it holds languages, special-category data) and a coordinator's
    free-text reason; ids, status, score and times stay. Whether anything changed."""
    reason = match.reason if match.reason == lifecycle.WITHDRAWN else None
    changed = bool(match.explanation) or match.reason != reason
    match.explanation, match.reason = {}, reason
    return changed


def anonymise_volunteer(volunteer: Volunteer) -> bool:
    """Blank everything personal; id, group, status (erased) and times stay. False if done
    already."""
    if volunteer.status == VolunteerStatus.ERASED:
        return False
    _blank(volunteer)
    volunteer.email = ""
    volunteer.same_gender_only = False
    volunteer.references = volunteer.screening = CheckOutcome.PENDING
    volunteer.training, volunteer.dbs = CheckOutcome.PENDING, CheckOutcome.NONE
    volunteer.status = VolunteerStatus.ERASED
    return True


def anonymise_newcomer(newcomer: Newcomer) -> bool:
    """Blank everything personal, their phone and their referrer's address too; id, group,
    status (erased) and times stay. False if done already."""
    if newcomer.status == NewcomerStatus.ERASED:
        return False
    _blank(newcomer)
    newcomer.email = newcomer.referrer_email = newcomer.phone = None
    newcomer.needs = []
    newcomer.wants_english_practice = newcomer.same_gender_only = newcomer.needs_dbs = False
    newcomer.status = NewcomerStatus.ERASED
    return True


def _blank(person: Person) -> None:
    person.name = person.postcode = person.district = ""
    person.languages, person.availability, person.interests = [], [], []
    person.gender = None


def forget_referrer(
    session: Session, keys: erasure.Keys, secret: str, erased: Iterable[uuid.UUID]
) -> int:
    """Blank the person's address where they referred someone else: the newcomer is not
    them, and stays. How many."""
    found = referred(session, keys, secret, erased, lock=True)
    for newcomer in found:
        newcomer.referrer_email = None
    return len(found)


def referred(
    session: Session,
    keys: erasure.Keys,
    secret: str,
    excluded: Iterable[uuid.UUID],
    *,
    lock: bool = False,
) -> list[Newcomer]:
    """The newcomers (other than `excluded`) the person referred: their referrer address."""
    if not keys.addresses:
        return []
    skip = set(excluded)
    rows = session.execute(
        select(Newcomer.id, Newcomer.referrer_email).where(Newcomer.referrer_email.is_not(None))
    )
    wanted = [
        row_id
        for row_id, address in rows
        if row_id not in skip and address and address_hash(secret, address) in keys.addresses
    ]
    if not wanted:
        return []
    query = select(Newcomer).where(Newcomer.id.in_(wanted)).order_by(Newcomer.id)
    return list(session.scalars(query.with_for_update() if lock else query))


# What a subject-access export shows of a match, beyond whose it is and who the partner is:
# never the explanation (it weighs them against other volunteers).
MATCH_COLUMNS = ("id", "group_id", "status", "score", "reason", "checkins_sent")
MATCH_TIMES = ("proposed_at", "approved_at", "decided_at")
PARTNER_IDS = ("volunteer_id", "newcomer_id")


def export(
    session: Session,
    secret: str,
    email: str | None,
    volunteer_ids: Iterable[uuid.UUID] = (),
    newcomer_ids: Iterable[uuid.UUID] = (),
    registration_ids: Iterable[uuid.UUID] = (),
) -> dict[str, Any]:
    """Every row about the person as plain JSON (UK GDPR Art. 15 and 20): their volunteer and
    newcomer rows, their matches with the partner by first name only, the requests they
    made for others (their address only) and the outbox rows about them. Never filtered by
    groups: it is about one person and must be whole."""
    keys = erasure.Keys(
        frozenset(str(i) for i in (*volunteer_ids, *newcomer_ids, *registration_ids)),
        frozenset([address_hash(secret, email)] if email else []),
    )
    volunteers = people(session, Volunteer, keys, secret)
    newcomers = people(session, Newcomer, keys, secret)
    everyone: list[Person] = [*volunteers, *newcomers]
    own = {p.id for p in everyone}
    everything = keys | erasure.Keys(frozenset(str(i) for i in own))
    about = erasure_records.outbox_about(session, Outbox, everything, secret)
    referrals = referred(session, keys, secret, own)
    records = {
        "volunteers": [erasure_records.exported_row(v) for v in volunteers],
        "newcomers": [erasure_records.exported_row(n) for n in newcomers],
        "matches": [
            _exported_match(session, m, own) for m in matches_of(session, volunteers, newcomers)
        ],
        "referrals": [
            erasure_records.exported_row(n, ("referrer_email", "registered_at")) for n in referrals
        ],
        "outbox": [_exported_message(row, own) for row in about],
    }
    return {
        "records": records,
        "ids": {
            "volunteer_ids": [str(v.id) for v in volunteers],
            "newcomer_ids": [str(n.id) for n in newcomers],
            "registration_ids": [],
        },
        "group_ids": sorted({str(p.group_id) for p in everyone if p.group_id is not None}),
    }


def _exported_match(session: Session, match: Match, own: set[uuid.UUID]) -> dict[str, Any]:
    """A match of theirs: their own id in it, the partner by first name only."""
    mine = [name for name in PARTNER_IDS if getattr(match, name) in own]
    row: dict[str, Any] = erasure_records.exported_row(match, (*MATCH_COLUMNS, *mine, *MATCH_TIMES))
    if mine == ["volunteer_id"]:
        row["partner"] = _first_name(session.get(Newcomer, match.newcomer_id))
    elif mine == ["newcomer_id"]:
        row["partner"] = _first_name(session.get(Volunteer, match.volunteer_id))
    return row


def _first_name(partner: Person | None) -> str | None:
    """A partner's first name, and nothing else of theirs (None once they are erased)."""
    return (pairing.first_name(partner.name) or None) if partner is not None else None


def _exported_message(row: Outbox, own: set[uuid.UUID]) -> dict[str, Any]:
    """An outbox row about them: its type, when, and its body without the partner's id."""
    exported = erasure_records.exported_row(row, ("type", "created_at"))
    theirs = {str(i) for i in own}
    try:
        body = json.loads(row.body)
    except ValueError:
        body = row.body
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in PARTNER_IDS or v in theirs}
    return {**exported, "body": body}
