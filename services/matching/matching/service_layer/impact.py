"""What matching counts for the impact report (ADR 42), in the transaction of each change:
sign-ups and readiness (with the days it took), requests, and each step of a match (with
the days the newcomer waited for their approval). Counts only: no id, no name."""

from __future__ import annotations

import uuid
from datetime import datetime

from sanctuary import tallies
from sanctuary.db import as_utc
from sanctuary.vocabulary import MatchEnding, MatchingKind, MatchingMeasure
from sqlalchemy.orm import Session

from matching.adapters.models import Tally

VOLUNTEER, NEWCOMER, MATCH = MatchingKind  # what a count is about


def count(
    session: Session, moment: datetime, group_id: uuid.UUID | None, kind: str, measure: str
) -> None:
    """One more `measure` about `kind` in the group on the day of `moment`."""
    tallies.count(session, Tally, moment, group_id, kind, measure)


def count_days(
    session: Session,
    moment: datetime,
    group_id: uuid.UUID | None,
    kind: str,
    measure: MatchingMeasure,
    since: datetime,
) -> None:
    """A histogram's count: `measure` ("matched_after") with the whole days since `since`."""
    count(session, moment, group_id, kind, tallies.after(measure, as_utc(since), moment))


def ended(ending: MatchEnding) -> str:
    """The measure of a match's ending: "ended:moved_away"."""
    return f"{MatchingMeasure.ENDED}:{ending}"
