"""A language named in words ("Lingala", "لينجالا", "лінгала") as the code matching uses
("ln"): for a language the form's boxes do not list. Babel's CLDR names in English, Arabic
and Ukrainian, each language's own name where CLDR has it, and the names people use that
CLDR does not (Farsi, Dari, Sorani). Pure: no I/O beyond Babel's bundled data."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from babel import Locale, UnknownLocaleError

# The codes the contracts take (sanctuary.fields: ISO 639-1 or -3, no region here).
_CODE = re.compile(r"^[a-z]{2,3}$")
READERS = ("en", "ar", "uk")
# What people call a language that CLDR names otherwise, or not at all.
ALIASES = {
    "farsi": "fa",
    "dari": "prs",
    "sorani": "ckb",
    "kurmanji": "kmr",
    "badini": "kmr",
    "tigrigna": "ti",
    "pushto": "ps",
    "tamazight": "zgh",
    "oromiffa": "om",
    "afaan oromoo": "om",
    # Arabic says a language with its adjective as often as with CLDR's noun.
    "\u0639\u0631\u0628\u064a": "ar",  # Arabic
    "\u0641\u0627\u0631\u0633\u064a": "fa",  # Persian
    "\u0643\u0631\u062f\u064a": "ku",  # Kurdish
    "\u0627\u0646\u062c\u0644\u064a\u0632\u064a": "en",  # English
}
# Several names in one answer: "Lingala, Oromo", "Lingala and Oromo", and the same with the
# Ukrainian "and"s (i, ta) or the Arabic one (wa), written as code points.
_AND = ("and", "\u0456", "\u0442\u0430")
_SEPARATORS = re.compile(
    r"\s*(?:[,\u060c;/+]|" + "|".join(rf"\b{w}\b" for w in _AND) + r"|\s+\u0648)\s*",
    re.IGNORECASE,
)


def _key(name: str) -> str:
    # Case, accents and Arabic's article do not tell languages apart: "Lingála", "lingala"
    # and "اللينجالا" are one.
    folded = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch)).strip()
    return bare.removeprefix("ال") if len(bare) > 4 else bare


@cache
def _names() -> dict[str, str]:
    found: dict[str, str] = {}
    for reader in READERS:
        for code, name in Locale(reader).languages.items():
            if _CODE.match(code):
                found.setdefault(_key(name), code)
    for code in list(found.values()):
        try:
            own = Locale(code).get_display_name(code)
        except (UnknownLocaleError, ValueError):
            continue
        if own:
            found.setdefault(_key(own), code)
    for alias, code in ALIASES.items():
        found[_key(alias)] = code
    return found


def codes_of(answer: str) -> tuple[list[str], list[str]]:
    """The codes of the languages named in `answer`, and the names not recognised."""
    codes: list[str] = []
    unknown: list[str] = []
    for name in filter(None, (part.strip() for part in _SEPARATORS.split(answer))):
        code = _names().get(_key(name))
        if code is None:
            unknown.append(name)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def english_name(code: str) -> str:
    """The language's English name for coordinators ("Lingala"); the code if CLDR has none."""
    return str(Locale("en").languages.get(code, code))
