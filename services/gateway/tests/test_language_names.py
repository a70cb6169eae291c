"""A language the form's boxes lack, named in words in any of the readers' languages."""

from __future__ import annotations

import pytest
from gateway.domain.language_names import codes_of, english_name
from gateway.entrypoints.coordinators.wording import language


@pytest.mark.parametrize(
    ("answer", "codes"),
    [
        ("Lingala", ["ln"]),
        ("  lingála ", ["ln"]),  # case and accents do not matter
        ("Lingala, Oromo", ["ln", "om"]),
        ("Lingala and Oromo; lingala", ["ln", "om"]),  # once each
        ("اللينجالا", ["ln"]),  # Arabic, with its article
        ("لينجالا", ["ln"]),  # and without
        ("лінгала", ["ln"]),  # Ukrainian
        ("ትግርኛ", ["ti"]),  # its own name
        ("Farsi", ["fa"]),  # what people call it
        ("Dari", ["prs"]),
        ("Sorani", ["ckb"]),
        ("", []),
    ],
)
def test_a_named_language_is_its_code(answer: str, codes: list[str]) -> None:
    assert codes_of(answer) == (codes, [])


def test_a_name_we_do_not_know_is_said_back() -> None:
    assert codes_of("Lingala, Qwertyish") == (["ln"], ["Qwertyish"])


def test_coordinators_read_every_language_by_its_english_name() -> None:
    assert (language("ti"), language("fa")) == ("Tigrinya", "Persian (Farsi)")  # the boxes'
    assert (language("ln"), english_name("om")) == ("Lingala", "Oromo")  # CLDR's
    assert language("zzz") == "zzz"


def test_the_hints_examples_are_names_we_know() -> None:
    """Each language's hint names an example: it must be one the box takes."""
    from babel.messages.mofile import read_mo
    from gateway.entrypoints import site

    hint = "Write its name in any language, for example Lingala. Separate several with commas."
    folder = site.__file__.rsplit("/entrypoints/", 1)[0] + "/translations"
    for locale, example in (("ar", "اللينجالا"), ("uk", "лінгала")):
        with open(f"{folder}/{locale}/LC_MESSAGES/messages.mo", "rb") as mo:
            assert example in read_mo(mo)[hint].string
        assert codes_of(example) == (["ln"], [])
