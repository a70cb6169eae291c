"""`@contract`: a message's schema derived from its dataclass, field by field (ADR 0023)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, ClassVar

import pytest
from marshmallow import ValidationError, fields, validate
from sanctuary.contracts.base import SCHEMAS, Word, contract, schema_for
from sanctuary.vocabulary import EventKind


@dataclass(frozen=True, kw_only=True)
class Sampled:
    """Every kind of field a contract may have."""

    TYPE: ClassVar[str] = "sample.made"
    VERSION: ClassVar[int] = 1

    sample_id: uuid.UUID
    kind: EventKind
    at: datetime
    note: Annotated[str, lambda: fields.String(required=True, validate=validate.Length(max=5))]
    tags: tuple[str, ...] = ()
    count: int = 1
    maybe: uuid.UUID | None = None


SCHEMA = schema_for(Sampled)()
BODY = {"sample_id": str(uuid.uuid4()), "kind": "webinar", "at": "2026-12-05T10:00:00+00:00"}


def test_a_field_without_a_default_is_required_and_one_with_a_default_is_not() -> None:
    required = {name for name, field in SCHEMA.fields.items() if field.required}
    assert required == {"sample_id", "kind", "at", "note"}
    loaded = SCHEMA.load({**BODY, "note": "hi"})
    assert (loaded.tags, loaded.count, loaded.maybe) == ((), 1, None)


def test_a_vocabulary_word_loads_as_its_member_and_dumps_as_its_value() -> None:
    loaded = SCHEMA.load({**BODY, "note": "hi"})
    assert loaded.kind is EventKind.WEBINAR
    # A plain string that is one of the words dumps too (a producer may hold one).
    assert SCHEMA.dump({**asdict(loaded), "kind": "training"})["kind"] == "training"
    with pytest.raises(ValidationError) as caught:
        SCHEMA.load({**BODY, "note": "hi", "kind": "party"})
    assert "kind" in caught.value.messages


def test_an_annotated_field_keeps_its_own_rules() -> None:
    assert isinstance(SCHEMA.fields["note"], fields.String)
    with pytest.raises(ValidationError) as caught:
        SCHEMA.load({**BODY, "note": "far too long"})
    assert "note" in caught.value.messages


def test_types_become_their_fields_and_lists_become_tuples() -> None:
    assert isinstance(SCHEMA.fields["sample_id"], fields.UUID)
    assert isinstance(SCHEMA.fields["kind"], Word)
    assert isinstance(SCHEMA.fields["at"], fields.AwareDateTime)
    assert SCHEMA.fields["maybe"].allow_none
    loaded = SCHEMA.load({**BODY, "note": "hi", "tags": ["a", "b"]})
    assert loaded.tags == ("a", "b")
    assert loaded.at == datetime(2026, 12, 5, 10, tzinfo=UTC)


def test_a_type_with_no_field_to_derive_is_refused_at_definition() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Odd:
        TYPE: ClassVar[str] = "odd.happened"
        amount: complex

    with pytest.raises(TypeError, match="annotate it"):
        schema_for(Odd)


def test_a_message_type_is_registered_once() -> None:
    assert SCHEMAS["volunteer.signed_up"].message_class.TYPE == "volunteer.signed_up"

    @dataclass(frozen=True, kw_only=True)
    class Again:
        TYPE: ClassVar[str] = "volunteer.signed_up"

    with pytest.raises(ValueError, match="defined twice"):
        contract(Again)
