"""The preferred language (`locale`) on every form where a person first arrives: optional,
English unless given, one of en, ar, uk, and carried in the fact the gateway announces."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from gateway import domain
from gateway.entrypoints.schemas import (
    NewcomerRequestSchema,
    RegistrationRequestSchema,
    VolunteerSignUpSchema,
)
from marshmallow import Schema, ValidationError
from sanctuary import contracts

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PERSON = {"name": "Olena", "email": "olena@example.org", "consent": True}
NEEDS = {
    "postcode": "LS6 1AA",
    "languages": ["uk"],
    "special_consent": True,
    "availability": [{"day": "sat", "part": "morning"}],
}
FORMS: list[tuple[type[Schema], dict[str, Any], Any]] = [
    (VolunteerSignUpSchema, {**PERSON, **NEEDS}, domain.volunteer_signed_up),
    (NewcomerRequestSchema, {**PERSON, **NEEDS}, domain.newcomer_requested),
    (
        RegistrationRequestSchema,
        PERSON,
        lambda i, form, now: domain.registration_requested(i, uuid.uuid4(), form, now),
    ),
]


@pytest.mark.parametrize(("schema", "body", "announce"), FORMS)
@pytest.mark.parametrize("locale", ["en", "ar", "uk", None])
def test_the_preferred_language_travels_in_the_fact(
    schema: type[Schema], body: dict[str, Any], announce: Any, locale: str | None
) -> None:
    """Given, it reaches the published body; left out, the emails are in English."""
    form = schema().load(body if locale is None else {**body, "locale": locale})
    message_type, published = contracts.dump(announce(uuid.uuid4(), form, NOW))
    assert published["locale"] == (locale or "en")
    assert contracts.load(message_type, published).locale == (locale or "en")


@pytest.mark.parametrize(("schema", "body", "announce"), FORMS)
@pytest.mark.parametrize("locale", ["fr", "AR", "", None, 7])
def test_an_unknown_language_is_refused_naming_locale(
    schema: type[Schema], body: dict[str, Any], announce: Any, locale: Any
) -> None:
    """The API answers these with 422 naming the field (the problem handler's job)."""
    with pytest.raises(ValidationError) as refused:
        schema().load({**body, "locale": locale})
    assert list(refused.value.messages) == ["locale"]
