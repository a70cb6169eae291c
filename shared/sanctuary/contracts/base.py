"""The base of every message schema.

Bodies are checked against these schemas when published (the outbox refuses a bad body) and
when consumed (a body that does not load is parked with the reason). Consumers tolerate
fields they do not know (EXCLUDE), so producers can add fields without breaking them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, post_load


class ContractSchema(Schema):
    """Base of every message schema: unknown fields are ignored, for forward compatibility."""

    class Meta:
        unknown = EXCLUDE

    message_class: ClassVar[type[Any]]

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Any:
        # Lists become tuples so that the frozen message is immutable all the way down.
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return self.message_class(**frozen)
