"""Field rules shared by the HTTP API and the contracts."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError, fields
from sanctuary import fields as f


class Form(Schema):
    name = f.name()
    postcode = f.Postcode(required=True)
    languages = f.languages()


def load(**overrides: object) -> dict[str, object]:
    data = {"name": "Amina", "postcode": "LS6 1AA", "languages": ["en"], **overrides}
    return Form().load(data)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("ls6 1aa", "LS6 1AA"),
        ("LS61AA", "LS6 1AA"),
        (" sw1a  1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("b33 8th", "B33 8TH"),
        ("LS\u0666 \u0661AA", "LS6 1AA"),  # Arabic-Indic, from an Arabic phone keyboard
        ("ls\u06f6 \u06f1aa", "LS6 1AA"),  # Extended Arabic-Indic (Persian, Urdu)
        ("LS\uff16 \uff11AA", "LS6 1AA"),  # full-width
    ],
)
def test_a_postcode_is_stored_in_one_form(given: str, stored: str) -> None:
    """Upper case, one space before the inward code, ASCII digits."""
    assert load(postcode=given)["postcode"] == stored


@pytest.mark.parametrize("bad", ["", "LS6", "12345", "LS6 1AAA", "not a postcode"])
def test_a_malformed_postcode_is_refused(bad: str) -> None:
    """The reason names the field."""
    with pytest.raises(ValidationError) as caught:
        load(postcode=bad)
    assert caught.value.messages == {"postcode": ["Not a valid UK postcode."]}


def test_the_district_is_the_outward_code() -> None:
    """Matching's notion of the local area."""
    assert f.postcode_district("LS6 1AA") == "LS6"


def test_a_name_is_trimmed_and_a_blank_one_refused() -> None:
    """White space alone is no name."""
    assert load(name="  Amina ")["name"] == "Amina"
    with pytest.raises(ValidationError):
        load(name="   ")


def test_a_name_over_the_limit_is_refused() -> None:
    """Names are at most 100 characters."""
    with pytest.raises(ValidationError):
        load(name="x" * 101)


@pytest.mark.parametrize("languages", [[], ["en", "en"], ["english"], ["EN"], ["x" * 3] * 21])
def test_a_bad_language_list_is_refused(languages: list[str]) -> None:
    """One to twenty distinct codes such as en, ar, prs."""
    with pytest.raises(ValidationError):
        load(languages=languages)


def test_language_codes_with_a_region_are_accepted() -> None:
    """pt-BR, zh-Hant and three-letter codes are real choices."""
    assert load(languages=["pt-BR", "zh-Hant", "prs"])["languages"] == ["pt-BR", "zh-Hant", "prs"]


class _Body(f.SafeText, Schema):
    name = f.name()
    tags = fields.List(fields.String())
    slot = fields.Dict()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "\ud800x"}, "name"),  # half a surrogate pair: no UTF-8 exists for it
        ({"name": "a\x00b"}, "name"),  # NUL: PostgreSQL refuses it
        ({"name": "a\x1bb"}, "name"),  # escape, and the other C0 controls
        ({"name": "Amal", "tags": ["ok", "bad\x07"]}, "tags"),
        ({"name": "Amal", "slot": {"day\x00": "sat"}}, "slot"),
        ({"name": "Amal", "bad\ud800": 1}, "(a field name)"),
    ],
)
def test_text_a_worker_could_never_handle_is_refused_field_by_field(
    body: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _Body().load(body)
    assert refused.value.messages == {field: [f.UNSAFE_TEXT]}


def test_tabs_and_new_lines_pass_and_bidirectional_controls_leave_names() -> None:
    loaded = _Body().load({"name": "\u202eAmal\u202c Haddad", "tags": ["line\none", "a\tb"]})
    assert loaded == {"name": "Amal Haddad", "tags": ["line\none", "a\tb"]}


def test_a_message_with_such_text_is_refused_on_publish_and_parked_on_receipt() -> None:
    from sanctuary import contracts
    from sanctuary_dev.messages import signed_up

    with pytest.raises(ValidationError):
        contracts.dump(signed_up(name="Amal\x00"))
    body = contracts.dump(signed_up())[1]
    with pytest.raises(ValidationError):
        contracts.load("volunteer.signed_up", {**body, "postcode": "LS6 1AA\ud800"})
