"""What every public form shares: its answers read as the API's JSON body, the schema's
messages in the reader's language, and recording once however often it is sent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import request
from flask_babel import gettext
from marshmallow import Schema
from sanctuary.contracts.people import REACH_THEM
from werkzeug.datastructures import MultiDict

from gateway.domain import language_names
from gateway.entrypoints import submissions
from gateway.service_layer import intake


def N_(message: str) -> str:
    """Marks a message for translation where it is written; translated where it is shown."""
    return message


# The schemas' messages for the fields these forms show. In English a form says word for
# word what the API says; in Arabic and Ukrainian the reader gets these translations.
SCHEMA_MESSAGES = frozenset(
    (
        N_("Missing data for required field."),
        N_("Not a valid email address."),
        N_("Not a valid UK postcode."),
        N_("Length must be between 1 and 100."),
        N_("Longer than maximum length 254."),
        N_("Consent must be given (true) to sign up."),
        N_(
            "Not a phone number we can call: a UK number such as 07123 456789, "
            "or one with its country code such as +44 7123 456789."
        ),
        N_("Not a valid integer."),
        N_("Must be greater than or equal to 1 and less than or equal to 3."),
        N_("Must be one of: female, male, non_binary."),
        N_("Items must not repeat."),
        N_("We can use this only with your consent to use it for matching (special_consent)."),
        N_("Contains a character that is not allowed (a control character or half a pair)."),
    )
)

# Where the API names its fields, the form says it in the words of its labels.
FORM_WORDING = {
    REACH_THEM: N_(
        "Give an email address or a phone number. A support worker asking for someone "
        "with neither gives their own email below."
    ),
}

# How form answers map to the API's JSON: ticked boxes are true, unticked false.
FLAGS = frozenset(
    (
        "same_gender_only",
        "has_dbs",
        "wants_english_practice",
        "needs_dbs",
        "consent",
        "special_consent",
    )
)
LISTS = frozenset(("languages", "interests", "needs"))

FORM_KEY = "form_key"


def schema_input(schema: Schema, form: MultiDict[str, str], locale: str) -> dict[str, Any]:
    """The JSON body the API would get for these form answers, one entry per schema field.

    An empty answer is left out, so the schema answers it as the API would a missing field.
    """
    data: dict[str, Any] = {}
    for key in schema.fields:
        if key in FLAGS:
            data[key] = key in form
        elif key == "locale":
            data[key] = locale
        elif key in LISTS or key == "availability":
            values = [v for v in form.getlist(key) if v]
            if values:
                data[key] = [_slot(v) for v in values] if key == "availability" else values
        elif value := str(form.get(key, "")).strip():
            data[key] = int(value) if key == "max_matches" and value.isdecimal() else value
    return data


def named_languages(data: dict[str, Any], form: MultiDict[str, str]) -> dict[str, str]:
    """Add to `data` the languages named in words in the form's "another language" box
    ("Lingala, Oromo"); the box's error, if a name is not one we know."""
    codes, unknown = language_names.codes_of(str(form.get("other_languages", "")))
    if codes:
        ticked = list(data.get("languages", []))
        data["languages"] = ticked + [code for code in codes if code not in ticked]
    if unknown:
        message = gettext(
            "We do not know the language %(names)s. Write its name in English, "
            "for example Lingala.",
            names=", ".join(unknown),
        )
        return {"other_languages": message}
    return {}


def _slot(value: str) -> dict[str, str]:
    # The grid's boxes are "sat-morning"; the schema judges anything else.
    day, _, part = value.partition("-")
    return {"day": day, "part": part}


def field_messages(messages: Any) -> dict[str, str]:
    """The first message for each top-level field, in the reader's language."""
    return {str(key): _translated(_first(value)) for key, value in messages.items()}


def _first(messages: Any) -> str:
    if isinstance(messages, dict):
        return _first(next(iter(messages.values())))
    if isinstance(messages, list):
        return _first(messages[0])
    return str(messages)


def _translated(message: str) -> str:
    if message in FORM_WORDING:
        return gettext(FORM_WORDING[message])
    return gettext(message) if message in SCHEMA_MESSAGES else message


def form_key(data: dict[str, Any]) -> intake.Idempotency | None:
    # Each form shown carries a key of its own, so a second click on "Send" (or a form
    # sent again unchanged) answers with the first submission instead of a second one.
    try:
        key = str(uuid.UUID(request.form.get(FORM_KEY, "")))
    except ValueError:
        return None
    return submissions.idempotency(key, data)


def record(
    kind: str, announce: Callable[[uuid.UUID, datetime], Any], data: dict[str, Any]
) -> dict[str, str]:
    """Record a valid form once: a second click on the button answers with the first
    submission (ADR 14); the same form sent again with other answers is a new one."""
    try:
        return submissions.record(kind, announce, form_key(data))
    except intake.IdempotencyKeyReused:
        return submissions.record(kind, announce)
