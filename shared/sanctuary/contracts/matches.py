"""Training completed (from events) and the life of a match."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from marshmallow import fields, validate

from sanctuary.contracts.base import ContractSchema

# --- training.completed: someone attended a training session (the events service) ------------


@dataclass(frozen=True)
class TrainingCompleted:
    """A person attended a training event; `volunteer_id` when they registered as one."""

    TYPE: ClassVar[str] = "training.completed"
    VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    registration_id: uuid.UUID
    topic: str | None
    completed_at: datetime
    volunteer_id: uuid.UUID | None = None
    # The registrant's email: matching credits the volunteer only if it is theirs, since
    # anyone can type a volunteer's id into a public registration form.
    email: str | None = None


class TrainingCompletedSchema(ContractSchema):
    message_class = TrainingCompleted

    email = fields.Email(load_default=None, allow_none=True)

    event_id = fields.UUID(required=True)
    registration_id = fields.UUID(required=True)
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    completed_at = fields.AwareDateTime(required=True)
    volunteer_id = fields.UUID(load_default=None, allow_none=True)


# --- match.*: the life of a match, each transition a fact ------------------------------------


@dataclass(frozen=True)
class MatchChanged:
    """Base of the match facts: which match, between whom. No names: ids are enough."""

    match_id: uuid.UUID
    volunteer_id: uuid.UUID
    newcomer_id: uuid.UUID


class MatchChangedSchema(ContractSchema):
    match_id = fields.UUID(required=True)
    volunteer_id = fields.UUID(required=True)
    newcomer_id = fields.UUID(required=True)


@dataclass(frozen=True)
class MatchProposed(MatchChanged):
    """A run proposed this match; a coordinator must approve or reject it."""

    TYPE: ClassVar[str] = "match.proposed"
    VERSION: ClassVar[int] = 1
    score: int = 0


class MatchProposedSchema(MatchChangedSchema):
    message_class = MatchProposed
    score = fields.Integer(required=True)


@dataclass(frozen=True)
class MatchApproved(MatchChanged):
    """A coordinator approved the match: the introduction can go out."""

    TYPE: ClassVar[str] = "match.approved"
    VERSION: ClassVar[int] = 1


class MatchApprovedSchema(MatchChangedSchema):
    message_class = MatchApproved


@dataclass(frozen=True)
class MatchActivated(MatchChanged):
    """The pair have met: the befriending has started."""

    TYPE: ClassVar[str] = "match.activated"
    VERSION: ClassVar[int] = 1


class MatchActivatedSchema(MatchChangedSchema):
    message_class = MatchActivated


@dataclass(frozen=True)
class MatchRejected(MatchChanged):
    """A coordinator rejected the proposal; both go back to the pool, never paired again."""

    TYPE: ClassVar[str] = "match.rejected"
    VERSION: ClassVar[int] = 1
    reason: str = ""


class MatchRejectedSchema(MatchChangedSchema):
    message_class = MatchRejected
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


@dataclass(frozen=True)
class MatchEnded(MatchChanged):
    """The befriending ended (no-fault endings are normal); the volunteer's place frees up."""

    TYPE: ClassVar[str] = "match.ended"
    VERSION: ClassVar[int] = 1
    reason: str = ""


class MatchEndedSchema(MatchChangedSchema):
    message_class = MatchEnded
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


@dataclass(frozen=True)
class MatchCheckinDue(MatchChanged):
    """A check-in with the pair is due (two weeks, three months)."""

    TYPE: ClassVar[str] = "match.checkin_due"
    VERSION: ClassVar[int] = 1
    checkin: str = ""


class MatchCheckinDueSchema(MatchChangedSchema):
    message_class = MatchCheckinDue
    checkin = fields.String(required=True, validate=validate.OneOf(("two_weeks", "three_months")))
