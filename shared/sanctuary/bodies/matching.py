"""Bodies of matching's internal API (coordinators' calls, passed on by the gateway)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from sanctuary.fields import SafeText, StrictBoolean
from sanctuary.vocabulary import (
    CHECK_OUTCOMES,
    Check,
    MatchEnding,
    MatchStatus,
    NewcomerStatus,
    VolunteerStatus,
)


class Body(SafeText, Schema):
    class Meta:
        unknown = RAISE


class ChecksSchema(Body):
    """Any of the four checks; at least one."""

    references = fields.String(validate=validate.OneOf(CHECK_OUTCOMES[Check.REFERENCES]))
    screening = fields.String(validate=validate.OneOf(CHECK_OUTCOMES[Check.SCREENING]))
    dbs = fields.String(validate=validate.OneOf(CHECK_OUTCOMES[Check.DBS]))
    training = fields.String(validate=validate.OneOf(CHECK_OUTCOMES[Check.TRAINING]))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Record at least one of references, screening, dbs, training.")


class RunSchema(Body):
    dry_run = StrictBoolean(
        load_default=True, metadata={"description": "true (the default) proposes nothing"}
    )
    group_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Only this local group's people; absent or null: every group, each "
            "on its own (pairs never cross groups; people with no group are never matched)"
        },
    )


class MoveSchema(Body):
    """Move a person to another local group (they moved city)."""

    group_id = fields.UUID(required=True, metadata={"description": "The group they join"})


class DecisionSchema(Body):
    """approve and activate take nothing; reject and end need a reason; end takes how it
    ended, in the impact report's words (`other` when not said)."""

    reason = fields.String(validate=validate.Length(min=1, max=300))
    ending = fields.String(
        validate=validate.OneOf([e for e in MatchEnding if e != MatchEnding.WITHDRAWN]),
        metadata={"description": "end only: how it ended, as the impact report counts it"},
    )
    newcomer_wants_another = StrictBoolean(load_default=False)


# What GET /internal/v1/groups/summary counts for each group: volunteers applied and ready,
# newcomers waiting (with the longest wait, in days) and proposals to decide.
LONGEST_WAIT = "longest_wait_days"
GROUP_SUMMARY = (
    VolunteerStatus.APPLIED,
    VolunteerStatus.READY,
    NewcomerStatus.WAITING,
    LONGEST_WAIT,
    MatchStatus.PROPOSED,
)

STATUS_FILTER = {
    "volunteers": tuple(VolunteerStatus),
    "newcomers": tuple(NewcomerStatus),
    "matches": tuple(MatchStatus),
}
