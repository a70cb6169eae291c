"""A volunteer's DBS check and safeguarding training running out (ADR 44), from matching's
clock: the reminders owed 60, 30 and 7 days before (each once), and the lapse on the day,
which leaves the volunteer out of matching until the check is recorded again. Their open
matches go on; the coordinator sees them flagged."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sanctuary import contracts as c
from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.validity import REMINDER_DAYS, Validity
from sanctuary.vocabulary import DATED, Check, CheckOutcome, Standing, VolunteerStatus
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from matching.adapters.models import Match, Volunteer
from matching.domain import expiry, lifecycle


def recorded_at(volunteer: Volunteer, check: Check) -> datetime | None:
    """When the volunteer's dated `check` was recorded, if it stands (held, completed)."""
    if getattr(volunteer, check) != DATED[check]:
        return None
    since = volunteer.dbs_recorded_at if check == Check.DBS else volunteer.training_completed_at
    return as_utc(since) if since is not None else None


def runs_out(volunteer: Volunteer, check: Check, validity: Validity) -> datetime | None:
    """When the volunteer's dated `check` runs out; None if it does not stand."""
    since = recorded_at(volunteer, check)
    return None if since is None else validity.runs_out(check, since)


def watch(uow: UnitOfWork, now: datetime, validity: Validity) -> tuple[int, int]:
    """Send each reminder owed and lapse each check run out by `now`: (reminders, lapses).
    Only volunteers within the first reminder's days of a check running out are read, each
    under its row lock (a coordinator renewing meanwhile waits, then finds it current)."""
    soon = timedelta(days=max(REMINDER_DAYS))
    near = or_(
        and_(
            Volunteer.dbs == CheckOutcome.HELD,
            Volunteer.dbs_recorded_at <= now + soon - timedelta(days=validity.dbs),
        ),
        and_(
            Volunteer.training == CheckOutcome.COMPLETED,
            Volunteer.training_completed_at <= now + soon - timedelta(days=validity.training),
        ),
    )
    query = select(Volunteer).where(
        Volunteer.status.in_((VolunteerStatus.APPLIED, VolunteerStatus.READY)), near
    )
    reminded = lapsed = 0
    for volunteer in uow.session.scalars(query.order_by(Volunteer.id).with_for_update()):
        for check in DATED:
            ends = runs_out(volunteer, check, validity)
            if ends is None:
                continue
            if expiry.lapsed(ends, now):
                _lapse(uow, volunteer, check, ends)
                lapsed += 1
            elif owed := expiry.reminder(check, ends, now, volunteer.checks_reminded or []):
                volunteer.checks_reminded = sorted({*(volunteer.checks_reminded or []), *owed.done})
                uow.publish(
                    c.VolunteerCheckRenewalDue(
                        volunteer_id=volunteer.id,
                        check=check,
                        runs_out=ends,
                        days=owed.days,
                        group_id=volunteer.group_id,
                    )
                )
                reminded += 1
    return reminded, lapsed


def _lapse(uow: UnitOfWork, volunteer: Volunteer, check: Check, ended: datetime) -> None:
    """The check runs out: `lapsed` (its date goes with it), and the status follows."""
    setattr(volunteer, check, CheckOutcome.LAPSED)
    checks = {k: getattr(volunteer, k) for k in Check}
    volunteer.status = lifecycle.volunteer_status(checks, volunteer.status)
    uow.publish(
        c.VolunteerCheckLapsed(
            volunteer_id=volunteer.id,
            check=check,
            ran_out=ended,
            open_matches=_open_matches(uow, volunteer.id),
            group_id=volunteer.group_id,
        )
    )


def _open_matches(uow: UnitOfWork, volunteer_id: uuid.UUID) -> int:
    return (
        uow.session.scalar(
            select(func.count())
            .select_from(Match)
            .where(Match.volunteer_id == volunteer_id, Match.status.in_(lifecycle.HOLDS_CAPACITY))
        )
        or 0
    )


def dated(volunteer: Volunteer, validity: Validity, now: datetime) -> dict[str, object]:
    """How each dated check stands, as coordinators see it: when it runs out (or null) and
    whether it is valid, running out (within 60 days) or lapsed."""
    shown: dict[str, object] = {}
    for check in DATED:
        ends = runs_out(volunteer, check, validity)
        lapsed = getattr(volunteer, check) == CheckOutcome.LAPSED
        standing = expiry.standing(ends, now) or (Standing.LAPSED if lapsed else None)
        shown[check] = {"runs_out": ends.isoformat() if ends else None, "standing": standing}
    return shown


WORDS = {Check.DBS: "DBS check", Check.TRAINING: "safeguarding training"}


def left_out(session: Session, groups: frozenset[uuid.UUID] | None) -> list[dict[str, str]]:
    """The volunteers a run leaves out because a check of theirs ran out, with why (ADR 44):
    a coordinator reading the run sees who is missing from it and what to renew."""
    lapsed = [getattr(Volunteer, check) == CheckOutcome.LAPSED for check in DATED]
    query = select(Volunteer).where(Volunteer.status == VolunteerStatus.APPLIED, or_(*lapsed))
    if groups is not None:
        query = query.where(Volunteer.group_id.in_(groups))
    return [
        {
            "volunteer_id": str(v.id),
            "why": " and ".join(WORDS[c] for c in DATED if getattr(v, c) == CheckOutcome.LAPSED)
            + " ran out: not matched until renewed",
        }
        for v in session.scalars(query.order_by(Volunteer.registered_at, Volunteer.id))
    ]
