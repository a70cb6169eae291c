"""Field rules shared by HTTP request schemas and message contracts: each limit decided once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate

NAME_MAX = 100
EMAIL_MAX = 254  # RFC 5321 path limit
LANGUAGES_MAX = 20
TAGS_MAX = 20
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = ("morning", "afternoon", "evening")
GENDERS = ("female", "male", "non_binary")

# A UK postcode, loosely: outward code (area + district) and inward code (sector + unit).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# ISO 639-1/-3 language code, optionally with a region or script subtag (BCP 47 style).
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


# What no text we take in may hold: NUL and the other C0 controls but tab, line feed and
# carriage return (PostgreSQL refuses NUL, nobody types the rest), and lone surrogates (no
# UTF-8 exists for them: every later encoder would fail on the message, for good).
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
UNSAFE_TEXT = "Contains a character that is not allowed (a control character or half a pair)."
# Bidirectional controls: an override in a name would turn round the words around it in
# other people's emails (their subjects quote names). Removed from free text.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _unsafe_in(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSAFE.search(value) is not None
    if isinstance(value, dict):
        return any(_unsafe_in(k) or _unsafe_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unsafe_in(item) for item in value)
    return False


class SafeText:
    """A schema that refuses, field by field, any text holding a character no text may hold
    (`_UNSAFE`), wherever it is in the body: before any field is loaded, so a request is
    answered 422 and a message parked with the reason, instead of failing later."""

    @pre_load
    def _refuse_unsafe_text(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        bad = {
            key if not _unsafe_in(key) else "(a field name)": [UNSAFE_TEXT]
            for key, value in data.items()
            if _unsafe_in(key) or _unsafe_in(value)
        }
        if bad:
            raise ValidationError(bad)
        return data


class Text(fields.String):
    """A string with surrounding white space and bidirectional controls removed before it is
    checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = str(super()._deserialize(value, attr, data, **kwargs))
        return _BIDI_CONTROLS.sub("", text).strip()


class StrictBoolean(fields.Boolean):
    """JSON true or false only: never "yes", 1 or "true" (1 == True in Python sets)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def ascii_digits(text: str) -> str:
    """Every decimal digit as its ASCII one: a phone's Arabic keyboard types Arabic-Indic
    digits (U+0660-0669), a Persian or Urdu one Extended Arabic-Indic (U+06F0-06F9)."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


class Postcode(fields.String):
    """A UK postcode, normalised to upper case with one space and ASCII digits: "ls6 1aa", and
    the same typed with Arabic-Indic digits, load as "LS6 1AA"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = ascii_digits(str(super()._deserialize(value, attr, data, **kwargs)))
        compact = re.sub(r"\s+", "", text.upper())
        match = _POSTCODE.match(compact)
        if not match:
            raise ValidationError("Not a valid UK postcode.")
        return f"{match.group(1)} {match.group(2)}"


PHONE_MAX = 32  # as typed, spaces and brackets included; E.164 itself is at most 16
PHONE_REGION = "GB"  # a number typed the local way (07123 456789) is a UK one
PHONE_INVALID = (
    "Not a phone number we can call: a UK number such as 07123 456789, "
    "or one with its country code such as +44 7123 456789."
)


class Phone(fields.String):
    """A phone number we can call, normalised to E.164 ("+441134960123") by libphonenumber's
    rules: UK numbers typed the local way, any number with its country code (+ or 00), with
    spaces, brackets, hyphens and Arabic-Indic or Persian digits as a phone types them."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        import phonenumbers  # here: only the processes that read a phone pay for its tables

        text = ascii_digits(str(super()._deserialize(value, attr, data, **kwargs))).strip()
        if len(text) > PHONE_MAX:
            raise ValidationError(PHONE_INVALID)
        try:
            number = phonenumbers.parse(text, PHONE_REGION)
        except phonenumbers.NumberParseException:
            raise ValidationError(PHONE_INVALID) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(PHONE_INVALID)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone() -> Phone:
    """An optional phone number (null or absent: none), loaded as E.164."""
    return Phone(
        load_default=None,
        allow_none=True,
        metadata={
            "example": "0113 496 0123",
            "description": "A UK number typed the local way, or any with its country code; "
            "kept as E.164. With no email, a coordinator calls instead of writing.",
        },
    )


def shown_phone(e164: str) -> str:
    """An E.164 number as a person dials it: "0113 496 0123" for a UK one, "+33 6 12 34 56 78"
    for any other."""
    import phonenumbers

    number = phonenumbers.parse(e164)
    if phonenumbers.region_code_for_number(number) == PHONE_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def postcode_district(postcode: str) -> str:
    """The outward code of a normalised postcode ("LS6 1AA" -> "LS6"): the area matching uses."""
    return postcode.split(" ", 1)[0]


F = TypeVar("F", bound=fields.Field[Any])


def optional(field: F, *, null: bool = False) -> F:
    """The same field, optional: left out when absent; with `null`, absent or null loads None
    (a contract's "unchanged")."""
    field.required = False
    if null:
        field.load_default, field.allow_none = None, True
    return field


def name() -> fields.String:
    """A person's name as they want to be called: free text, trimmed, 1 to 100 characters."""
    return Text(required=True, validate=validate.Length(min=1, max=NAME_MAX))


def email() -> fields.Email:
    """An email address, at most 254 characters."""
    return fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX))


def languages(*, required: bool = True) -> fields.List[Any]:
    """One to twenty distinct language codes such as "en", "ar", "ti" or "prs" (none at all,
    if not required)."""
    code = fields.String(
        validate=validate.Regexp(_LANGUAGE, error="Not a language code such as 'en' or 'ar'.")
    )
    rules: list[Callable[[Any], Any]] = [
        validate.Length(min=1 if required else 0, max=LANGUAGES_MAX),
        _distinct,
    ]
    if required:
        return fields.List(code, required=True, validate=rules)
    return fields.List(code, load_default=list, validate=rules)


def _distinct(values: list[Any]) -> None:
    if len(set(map(repr, values))) != len(values):
        raise ValidationError("Items must not repeat.")


_TAG = re.compile(r"^[a-z][a-z_]{0,29}$")


def tags(*, required: bool = False) -> fields.List[Any]:
    """Up to twenty distinct lower-case tags such as "football" or "finding_services"."""
    tag = fields.String(
        validate=validate.Regexp(_TAG, error="Tags are lower-case words joined by _.")
    )
    return fields.List(
        tag,
        required=required,
        load_default=list,
        validate=[validate.Length(max=TAGS_MAX), _distinct],
    )


class _SlotSchema(Schema):
    class Meta:
        unknown = RAISE

    day = fields.String(required=True, validate=validate.OneOf(DAYS))
    part = fields.String(required=True, validate=validate.OneOf(PARTS))

    @post_load
    def _as_tuple(self, data: dict[str, str], **_: Any) -> tuple[str, str]:
        return (data["day"], data["part"])


class Slot(fields.Field[Any]):
    """{"day": "sat", "part": "morning"}, loaded as ("sat", "morning") and dumped back."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("A slot is an object with a day and a part.")
        return _SlotSchema().load(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else {"day": value[0], "part": value[1]}


def availability(*, required: bool = True) -> fields.List[Any]:
    """One to 21 distinct weekly slots: a day and a part of it (none, if not required)."""
    rules: list[Callable[[Any], Any]] = [
        validate.Length(min=1 if required else 0, max=len(DAYS) * len(PARTS)),
        _distinct,
    ]
    if required:
        return fields.List(Slot(), required=True, validate=rules)
    return fields.List(Slot(), load_default=list, validate=rules)


def gender() -> fields.String:
    """Optional; used only to honour same-gender requests."""
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GENDERS))


SLUG_MAX = 40
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A postcode area or district a group covers ("S", "S1", "LS6"), or "*" for everywhere.
_AREA = re.compile(r"^([A-Z]{1,2}([0-9][A-Z0-9]?)?|\*)$")
EVERYWHERE = "*"


def slug(**options: Any) -> fields.String:
    """A group's name in addresses: lower-case letters, digits and single hyphens, 2 to 40;
    required unless `options` say otherwise."""
    return Text(
        **({"required": True} | options),
        validate=[
            validate.Length(min=2, max=SLUG_MAX),
            validate.Regexp(_SLUG, error="Use lower-case letters, digits and hyphens."),
        ],
    )


class Area(fields.String):
    """A postcode area or district a group covers, upper-cased ("ls6" loads as "LS6"), or "*"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        given = ascii_digits(str(super()._deserialize(value, attr, data, **kwargs)))
        text = re.sub(r"\s+", "", given).upper()
        if not _AREA.match(text):
            raise ValidationError("Not a postcode area or district (such as S, S1 or LS6), or *.")
        return text
