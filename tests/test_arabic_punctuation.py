"""Arabic text punctuated as Arabic is (issue 15): its own comma, semicolon and question mark
(، ؛ ؟), never the Latin ones beside Arabic letters; and a number written in groups (a phone
number, "07123 456789") isolated left to right, or the bidirectional algorithm shows its
groups in reverse order. Every Arabic catalogue of every service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(ROOT.glob("services/*/*/translations/ar/LC_MESSAGES/messages.po"))
ARABIC = "\u0600-\u06ff"
LATIN_MARK = re.compile(rf"[{ARABIC}]\s*[,;?]|[,;?]\s*[{ARABIC}]")
# Digit groups separated by spaces ("07123 456789", "+44 7123 456789").
GROUPED = re.compile(r"(?<!\w)\+?\d+(?: \d+)+(?!\w)")  # not "S1 2AB": letters hold their order
LRI, PDI = "\u2066", "\u2069"


def translations() -> list[tuple[str, str, str]]:
    found = []
    for path in CATALOGUES:
        with path.open("rb") as po:
            for message in read_po(po):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.id:  # not the header
                    found += [(path.parts[-5], str(message.id), s) for s in strings if s]
    return found


def test_every_service_with_pages_or_emails_has_an_arabic_catalogue() -> None:
    assert {p.parts[-5] for p in CATALOGUES} == {"gateway", "notifications"}
    assert len(translations()) > 300


def test_arabic_takes_its_own_comma_semicolon_and_question_mark() -> None:
    wrong = [(svc, text) for svc, _id, text in translations() if LATIN_MARK.search(text)]
    assert wrong == []


def test_numbers_in_groups_keep_their_order_right_to_left() -> None:
    wrong = [
        (svc, text)
        for svc, _id, text in translations()
        for number in GROUPED.findall(text)
        if f"{LRI}{number}{PDI}" not in text
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "found"),
    [("مثلًا, أو", True), ("مثلًا، أو", False), ("ما هذا?", True), ("LS6 1AA, LS7", False)],
)
def test_the_check_sees_a_latin_mark_beside_arabic(text: str, found: bool) -> None:
    assert bool(LATIN_MARK.search(text)) is found


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("مثل 07123 456789،", ["07123 456789"]),
        ("+44 7123 456789", ["+44 7123 456789"]),
        ("مثل S1 2AB.", []),
        ("18:00", []),
    ],
)
def test_the_check_sees_a_number_in_groups(text: str, numbers: list[str]) -> None:
    assert GROUPED.findall(text) == numbers
