"""Field rules shared by the HTTP API and the contracts."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError
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
    ],
)
def test_a_postcode_is_stored_in_one_form(given: str, stored: str) -> None:
    """Upper case, one space before the inward code."""
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
