"""Every message the services exchange, defined once: a frozen dataclass (its schema derived
from it, `base.contract`), grouped by topic in the modules beside this one.

Bodies are checked against these schemas when published (the outbox refuses a bad body) and
when consumed (a body that does not load is parked with the reason). Consumers tolerate
fields they do not know (EXCLUDE), so producers can add fields without breaking them.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import Any

from marshmallow import ValidationError

from sanctuary.contracts.base import SCHEMAS as SCHEMAS
from sanctuary.contracts.base import ContractSchema
from sanctuary.contracts.checks import *  # noqa: F403
from sanctuary.contracts.concerns import *  # noqa: F403
from sanctuary.contracts.events import *  # noqa: F403
from sanctuary.contracts.groups import *  # noqa: F403
from sanctuary.contracts.matches import *  # noqa: F403
from sanctuary.contracts.people import *  # noqa: F403
from sanctuary.contracts.privacy import *  # noqa: F403

# Every message registered itself (`@contract`) when its module was imported above.
MESSAGE_TYPES: tuple[str, ...] = tuple(SCHEMAS)


class UnknownMessageType(LookupError):
    """No contract exists for this message type."""


def schema_version(message_type: str) -> int:
    """The schema version producers stamp in the `schema_version` header."""
    return int(_schema(message_type).message_class.VERSION)


def dump(message: Any) -> tuple[str, dict[str, Any]]:
    """Turn a message into (type, JSON-ready body), refusing a body its own schema would reject."""
    message_type: str = message.TYPE
    schema = _instance(message_type)
    body: dict[str, Any] = schema.dump(asdict(message))
    errors = schema.validate(body)
    if errors:
        raise ValidationError(errors)
    return message_type, body


def load(message_type: str, body: Any) -> Any:
    """Turn a received body into its frozen dataclass; ValidationError when it does not fit."""
    return _instance(message_type).load(body)


@functools.cache
def _instance(message_type: str) -> ContractSchema:
    """One schema instance a type, reused: building one deep-copies its fields, which cost a
    worker as much as the load itself. Loading and dumping keep no state in the instance."""
    return _schema(message_type)()


def _schema(message_type: str) -> type[ContractSchema]:
    try:
        return SCHEMAS[message_type]
    except KeyError:
        raise UnknownMessageType(message_type) from None
