"""Facts that a safeguarding concern waits (ADR 45), from the gateway to notifications: its
id, reference, group, urgency and whom to tell. Never its category, its details or whom it
is about: the case file stays in the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from marshmallow import fields, validate

from sanctuary.contracts.base import Word, contract
from sanctuary.safeguarding_words import ConcernUrgency

__all__ = ["ConcernEscalated", "ConcernRaised"]


def _urgency() -> fields.Field[Any]:
    return Word(ConcernUrgency, by_value=True, required=True)


def _addresses() -> fields.Field[Any]:
    return fields.List(fields.Email(), required=True, validate=validate.Length(1, 10))


@contract
@dataclass(frozen=True, kw_only=True)
class ConcernRaised:
    """A concern was raised: its group's safeguarding lead and deputy (else the network's
    lead, else the group's contact) are to hear that it waits."""

    TYPE: ClassVar[str] = "concern.raised"
    VERSION: ClassVar[int] = 1

    concern_id: uuid.UUID
    reference: Annotated[str, lambda: fields.String(required=True, validate=validate.Length(9, 9))]
    urgency: Annotated[ConcernUrgency, _urgency]
    notify: Annotated[tuple[str, ...], _addresses]
    group_id: uuid.UUID | None = None


@contract
@dataclass(frozen=True, kw_only=True)
class ConcernEscalated(ConcernRaised):
    """An urgent concern was not acknowledged within an hour: the network's safeguarding lead
    is to hear that it waits (the same fields, to other addresses)."""

    TYPE: ClassVar[str] = "concern.escalated"
    VERSION: ClassVar[int] = 1
