"""Training completed (from events) and the life of a match."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar

from marshmallow import fields, validate

from sanctuary.contracts.base import contract
from sanctuary.vocabulary import Checkin

Reason = Annotated[str, lambda: fields.String(required=True, validate=validate.Length(1, 300))]

# --- training.completed: someone attended a training session (the events service) ------------


@contract
@dataclass(frozen=True, kw_only=True)
class TrainingCompleted:
    """A person attended a training event; `volunteer_id` when they registered as one."""

    TYPE: ClassVar[str] = "training.completed"
    VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    registration_id: uuid.UUID
    topic: Annotated[
        str | None,
        lambda: fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60)),
    ]
    completed_at: datetime
    volunteer_id: uuid.UUID | None = None
    # The registrant's email: matching credits the volunteer only if it is theirs, since
    # anyone can type a volunteer's id into a public registration form.
    email: Annotated[str | None, lambda: fields.Email(load_default=None, allow_none=True)] = None


# --- match.*: the life of a match, each transition a fact ------------------------------------


@dataclass(frozen=True, kw_only=True)
class MatchChanged:
    """Base of the match facts: which match, between whom. No names: ids are enough."""

    match_id: uuid.UUID
    volunteer_id: uuid.UUID
    newcomer_id: uuid.UUID
    # The local group it concerns (the pair's, the volunteer's); None: no local group yet.
    group_id: uuid.UUID | None = None


@contract
@dataclass(frozen=True, kw_only=True)
class MatchProposed(MatchChanged):
    """A run proposed this match; a coordinator must approve or reject it."""

    TYPE: ClassVar[str] = "match.proposed"
    VERSION: ClassVar[int] = 1
    score: int


@contract
@dataclass(frozen=True, kw_only=True)
class MatchApproved(MatchChanged):
    """A coordinator approved the match: the introduction can go out."""

    TYPE: ClassVar[str] = "match.approved"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class MatchActivated(MatchChanged):
    """The pair have met: the befriending has started."""

    TYPE: ClassVar[str] = "match.activated"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class MatchRejected(MatchChanged):
    """A coordinator rejected the proposal; both go back to the pool, never paired again."""

    TYPE: ClassVar[str] = "match.rejected"
    VERSION: ClassVar[int] = 1
    reason: Reason


@contract
@dataclass(frozen=True, kw_only=True)
class MatchEnded(MatchChanged):
    """The befriending ended (no-fault endings are normal); the volunteer's place frees up."""

    TYPE: ClassVar[str] = "match.ended"
    VERSION: ClassVar[int] = 1
    # Names no one person (sanctuary.erasure): when one of the pair is erased, the match ends
    # and the other must still be told.
    SUBJECT: ClassVar[tuple[str, ...]] = ()
    reason: Reason


@contract
@dataclass(frozen=True, kw_only=True)
class MatchCheckinDue(MatchChanged):
    """A check-in with the pair is due (two weeks, three months)."""

    TYPE: ClassVar[str] = "match.checkin_due"
    VERSION: ClassVar[int] = 1
    checkin: Checkin
