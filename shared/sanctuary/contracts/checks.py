"""Facts about a volunteer's dated checks running out (ADR 44), published by matching's clock.
Ids, the check and its dates only: notifications knows where to write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar

from marshmallow import fields, validate

from sanctuary.contracts.base import Word, contract
from sanctuary.validity import REMINDER_DAYS
from sanctuary.vocabulary import DATED, Check

__all__ = ["VolunteerCheckLapsed", "VolunteerCheckRenewalDue"]


def _dated() -> fields.Field[Any]:
    return Word(Check, by_value=True, required=True, validate=validate.OneOf(tuple(DATED)))


@contract
@dataclass(frozen=True, kw_only=True)
class VolunteerCheckRenewalDue:
    """A volunteer's DBS check or safeguarding training runs out at `runs_out`: the reminder
    `days` (60, 30 or 7) before, sent once."""

    TYPE: ClassVar[str] = "volunteer.check_renewal_due"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    check: Annotated[Check, _dated]
    runs_out: datetime
    days: Annotated[
        int, lambda: fields.Integer(required=True, validate=validate.OneOf(REMINDER_DAYS))
    ]
    group_id: uuid.UUID | None = None


@contract
@dataclass(frozen=True, kw_only=True)
class VolunteerCheckLapsed:
    """A volunteer's DBS check or safeguarding training ran out at `ran_out`: they are left
    out of matching until it is recorded again; `open_matches` of theirs go on, flagged."""

    TYPE: ClassVar[str] = "volunteer.check_lapsed"
    VERSION: ClassVar[int] = 1

    volunteer_id: uuid.UUID
    check: Annotated[Check, _dated]
    ran_out: datetime
    open_matches: Annotated[int, lambda: fields.Integer(required=True, validate=validate.Range(0))]
    group_id: uuid.UUID | None = None
