"""Bodies of matching's internal API: checked here, once, for every caller."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sanctuary.contracts import CHECKS
from sanctuary.fields import StrictBoolean


class Body(Schema):
    class Meta:
        unknown = RAISE


class ChecksSchema(Body):
    """Any of the four checks; at least one."""

    references = fields.String(validate=validate.OneOf(CHECKS["references"]))
    screening = fields.String(validate=validate.OneOf(CHECKS["screening"]))
    dbs = fields.String(validate=validate.OneOf(CHECKS["dbs"]))
    training = fields.String(validate=validate.OneOf(CHECKS["training"]))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Record at least one of references, screening, dbs, training.")


class RunSchema(Body):
    dry_run = StrictBoolean(load_default=True)


class DecisionSchema(Body):
    """approve and activate take nothing; reject and end need a reason."""

    reason = fields.String(validate=validate.Length(min=1, max=300))
    newcomer_wants_another = StrictBoolean(load_default=False)


STATUS_FILTER = {
    "volunteers": ("applied", "ready", "inactive"),
    "matches": ("proposed", "approved", "active", "rejected", "ended"),
}
