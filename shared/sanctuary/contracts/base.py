"""The base of every message schema.

Bodies are checked against these schemas when published (the outbox refuses a bad body) and
when consumed (a body that does not load is parked with the reason). Consumers tolerate
fields they do not know (EXCLUDE), so producers can add fields without breaking them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

# The languages the emails are written in; a person's preferred one travels with the facts
# where they first arrive (sign-up, request, registration) and the notifications service keeps it.
LOCALES = ("en", "ar", "uk")
DEFAULT_LOCALE = "en"


def locale_field(*, known: bool = True) -> fields.String:
    """A person's preferred language: one of LOCALES, English unless given. With known=False
    the field may be null: the producer does not know it (the consumer keeps what it knows)."""
    if known:
        return fields.String(load_default=DEFAULT_LOCALE, validate=validate.OneOf(LOCALES))
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LOCALES))


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
