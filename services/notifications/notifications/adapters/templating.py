"""The email templates' environment in each language: Jinja2 with the gettext catalogues
(`.po` files under `translations/`, compiled in memory when first used: no `.mo` to build or
to forget). A locale we have no catalogue for, or a sentence not yet translated, comes out
in English."""

from __future__ import annotations

import functools
from collections.abc import Callable
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from markupsafe import Markup
from sanctuary.vocabulary import DEFAULT_LOCALE, RIGHT_TO_LEFT, Locale

TRANSLATIONS = Path(__file__).parents[1] / "translations"


def catalogue(locale: str) -> NullTranslations:
    """The translations of `locale` from its .po file; none (English) if it has no file."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        parsed = read_po(source, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, parsed)  # fuzzy entries are left out: English until reviewed
    compiled.seek(0)
    return Translations(compiled)


@functools.cache
def templates(locale: str) -> Environment:
    """The template environment of one language; an unknown language gets English's."""
    if locale not in tuple(Locale):
        return templates(DEFAULT_LOCALE)
    environment = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing value is an error, never a blank in an email
        keep_trailing_newline=True,
        trim_blocks=True,  # a line holding only {% if %} or {% endif %} leaves no blank line
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # templates ship with the code: no file checks an email
    )
    translations = catalogue(locale)
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        _=_translator(translations.gettext, isolate=locale in RIGHT_TO_LEFT),
        lang=locale,
        dir="rtl" if locale in RIGHT_TO_LEFT else "ltr",
    )
    return environment


def _translator(gettext: Callable[[str], str], isolate: bool = False) -> Callable[..., str]:
    """The templates' `_`: what the i18n extension's newstyle gettext does (escaped in HTML,
    always %-formatted, so a name is text, never markup), called directly. The extension's
    own `_` looks its gettext up and calls through the template context twice a sentence
    (a test renders every email both ways). With `isolate` (right-to-left languages) each
    name and title is set apart from the sentence around it (<bdi>, or the Unicode isolates
    in text): a Latin name at a sentence's end would otherwise pull the full stop and the
    next sentence's name into one left-to-right run ("Omar. Omar")."""

    @pass_eval_context
    def translate(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        text = gettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our catalogue's sentence; `%` escapes the values
        if isolate:
            variables = {
                k: (_isolated(v, eval_ctx.autoescape) if k in ISOLATED else v)
                for k, v in variables.items()
            }
        return text % variables

    return translate


# The values that are words people wrote (names, titles), not addresses or links: a link
# with an isolate beside it would not open in a plain-text mail client.
ISOLATED = frozenset({"name", "other", "title"})


def _isolated(value: Any, html: bool) -> Any:
    if html:
        return Markup("<bdi>%s</bdi>") % value
    return f"\u2068{value}\u2069"
