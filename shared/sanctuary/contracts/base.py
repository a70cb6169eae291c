"""A message is defined once, as a frozen dataclass: `@contract` derives its schema from the
fields' types and registers it under its `TYPE`.

Bodies are checked against these schemas when published (the outbox refuses a bad body) and
when consumed (a body that does not load is parked with the reason). Consumers tolerate
fields they do not know (EXCLUDE), so producers can add fields without breaking them.

How a field's type becomes a marshmallow field (ADR 0023):
- `uuid.UUID`, `str`, `int`, `bool`, `datetime` (aware), a `StrEnum` (by value), `tuple[T, ...]`
  (a JSON list), `dict[K, V]` (a JSON object), and `T | None` (null allowed);
- no default: required; a default: what a body without the field loads as;
- `Annotated[T, field]`: this marshmallow field (or a function making one) instead, for the
  rules a type cannot say (a name's length, an email, a postcode).
A message that must check its fields together raises `ValidationError` in `__post_init__`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from marshmallow import EXCLUDE, Schema, fields, post_load

from sanctuary.fields import SafeText

M = TypeVar("M")
SCHEMAS: dict[str, type[ContractSchema]] = {}

_SIMPLE: dict[Any, Callable[..., fields.Field[Any]]] = {
    uuid.UUID: fields.UUID,
    str: fields.String,
    int: fields.Integer,
    bool: fields.Boolean,
    datetime: fields.AwareDateTime,
}


class Word(fields.Enum[Any]):
    """A word of a vocabulary (`sanctuary.vocabulary`), by its value on the wire: loads as the
    enum's member, and dumps a member or a plain string that is one of its values."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        try:
            member = self.enum(value)
        except ValueError:
            raise self.make_error("unknown", choices=self.choices_text) from None
        return super()._serialize(member, attr, obj, **kwargs)


class ContractSchema(SafeText, Schema):
    """Base of every message schema: unknown fields are ignored, for forward compatibility."""

    class Meta:
        unknown = EXCLUDE

    message_class: ClassVar[type[Any]]

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Any:
        # Lists become tuples so that the frozen message is immutable all the way down.
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return self.message_class(**frozen)


def contract(cls: type[M]) -> type[M]:
    """Make `cls` (a frozen, keyword-only dataclass with `TYPE` and `VERSION`) a message: derive
    its schema and register it."""
    message_type: str = cls.TYPE  # type: ignore[attr-defined]
    if message_type in SCHEMAS:
        raise ValueError(f"{message_type} is defined twice")
    SCHEMAS[message_type] = schema_for(cls)
    return cls


def schema_for(cls: type[Any]) -> type[ContractSchema]:
    """The schema of a message dataclass, one marshmallow field a dataclass field."""
    # An empty localns keeps the module's globals as the globals of what the annotations
    # evaluate to (typing otherwise swaps in the class's namespace, and a field-making lambda
    # in an Annotated would not see the module's imports).
    hints = typing.get_type_hints(cls, localns={}, include_extras=True)
    declared: dict[str, Any] = {
        f.name: _field(hints[f.name], f) for f in dataclasses.fields(cls) if f.init
    }
    return type(f"{cls.__name__}Schema", (ContractSchema,), {"message_class": cls, **declared})


def _field(hint: Any, spec: dataclasses.Field[Any]) -> fields.Field[Any]:
    has_default = spec.default is not dataclasses.MISSING
    default = spec.default
    if spec.default_factory is not dataclasses.MISSING:  # a mutable default, e.g. {}
        has_default, default = True, spec.default_factory
    if typing.get_origin(hint) is typing.Annotated:
        made = typing.get_args(hint)[1]
        field: fields.Field[Any] = made if isinstance(made, fields.Field) else made()
        return field
    options: dict[str, Any] = {"load_default": default} if has_default else {"required": True}
    return _typed(hint, options)


def _typed(hint: Any, options: dict[str, Any]) -> fields.Field[Any]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return _typed(inner, {**options, "allow_none": True})
    if typing.get_origin(hint) is tuple:
        return fields.List(_typed(args[0], {}), **options)
    if typing.get_origin(hint) is dict:
        return fields.Dict(keys=_typed(args[0], {}), values=_typed(args[1], {}), **options)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return Word(hint, by_value=True, **options)
    if hint in _SIMPLE:
        return _SIMPLE[hint](**options)
    raise TypeError(f"no marshmallow field for {hint!r}: annotate it with one")
