"""Field rules shared by HTTP request schemas and message contracts: each limit decided once."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

NAME_MAX = 100
EMAIL_MAX = 254  # RFC 5321 path limit
LANGUAGES_MAX = 20

# A UK postcode, loosely: outward code (area + district) and inward code (sector + unit).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# ISO 639-1/-3 language code, optionally with a region or script subtag (BCP 47 style).
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class Text(fields.String):
    """A string with surrounding white space removed before it is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).strip()


class Postcode(fields.String):
    """A UK postcode, normalised to upper case with one space: "ls6 1aa" loads as "LS6 1AA"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = str(super()._deserialize(value, attr, data, **kwargs))
        compact = re.sub(r"\s+", "", text.upper())
        match = _POSTCODE.match(compact)
        if not match:
            raise ValidationError("Not a valid UK postcode.")
        return f"{match.group(1)} {match.group(2)}"


def postcode_district(postcode: str) -> str:
    """The outward code of a normalised postcode ("LS6 1AA" -> "LS6"): the area matching uses."""
    return postcode.split(" ", 1)[0]


def name() -> fields.String:
    """A person's name as they want to be called: free text, trimmed, 1 to 100 characters."""
    return Text(required=True, validate=validate.Length(min=1, max=NAME_MAX))


def email() -> fields.Email:
    """An email address, at most 254 characters."""
    return fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX))


def languages() -> fields.List[Any]:
    """One to twenty distinct language codes such as "en", "ar", "ti" or "prs"."""
    code = fields.String(
        validate=validate.Regexp(_LANGUAGE, error="Not a language code such as 'en' or 'ar'.")
    )
    return fields.List(
        code,
        required=True,
        validate=[validate.Length(min=1, max=LANGUAGES_MAX), _distinct],
    )


def _distinct(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Languages must not repeat.")
