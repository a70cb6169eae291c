"""Every email in English, Arabic and Ukrainian: catalogues complete, English when in doubt,
names escaped, headers never injected, CSS inlined, right to left for Arabic.

Rendered by the real templates from samples planned by the real rules (email_samples.py
beside this file), and parsed back from bytes with the standard library's email parser.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
import subprocess
import sys
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from functools import reduce
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from email_samples import samples
from jinja2 import Environment
from notifications import domain
from notifications.adapters import mail, templating

LOCALES = ("en", "ar", "uk")
SAMPLES = [s.name for s in samples()]
SENDER = "Sanctuary network <hello@sanctuary.example>"
TEMPLATES = Path(mail.__file__).parents[1] / "templates"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def sample(name: str, locale: str) -> tuple[dict[str, object], domain.PlannedEmail]:
    [found] = [s for s in samples(locale) if s.name == name]
    return found.context(), found.email


def on_the_wire(name: str, locale: str, /, **changes: object) -> bytes:
    """The email's bytes as the mailer sends them."""
    context, planned = sample(name, locale)
    context = {**context, **changes}
    return mail.compose(
        mail.render_parts(planned.template, context),
        context,
        to=planned.to_address,
        sender=SENDER,
        message_id="d-1",
    )


def rendered(name: str, locale: str, /, **changes: object) -> EmailMessage:
    """The email as bytes on the wire, parsed back."""
    wire = on_the_wire(name, locale, **changes)
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(wire)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def template_messages() -> set[str]:
    """Every sentence the templates ask gettext for, as `pybabel extract` finds them."""
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    found = extract_from_dir(
        str(TEMPLATES),
        method_map=[("**.html", "jinja2"), ("**.txt", "jinja2")],
        options_map={"**.html": options, "**.txt": options},
    )
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("locale", ["ar", "uk"])
def test_every_sentence_is_translated_with_the_same_placeholders(locale: str) -> None:
    """Nothing in the templates is missing from the catalogue, empty, fuzzy or left over, and
    each translation keeps exactly the original's %(name)s placeholders."""
    po = templating.TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalogue = {m.id: m for m in read_po(source, locale=locale) if m.id}
    assert set(catalogue) == template_messages()
    for msgid, message in catalogue.items():
        assert message.string, f"{locale}: no translation of {msgid!r}"
        assert not message.fuzzy, f"{locale}: fuzzy {msgid!r}"
        assert sorted(PLACEHOLDER.findall(str(message.string))) == sorted(
            PLACEHOLDER.findall(str(msgid))
        ), msgid


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SAMPLES)
def test_every_email_renders_in_every_language(name: str, locale: str) -> None:
    """Subject, text and HTML in the reader's language (coordinators read English); Arabic
    right to left; every placeholder filled; the CSS inlined."""
    message = rendered(name, locale)
    text, html = parts(message)
    _, planned = sample(name, locale)
    reader = locale if "coordinator" not in name else "en"
    thanks = templating.catalogue(reader).gettext("With warm thanks,")
    assert thanks in text
    assert thanks in html
    if reader != "en":
        assert "With warm thanks" not in text
        assert message["Subject"] != str(rendered(name, "en")["Subject"])
    assert f'<html lang="{reader}" dir="{"rtl" if reader == "ar" else "ltr"}">' in html
    assert "%(" not in text + html + str(message["Subject"])
    # Each numbered step on its own line: a block tag ending a line used to eat the line
    # break (the welcome's "...conversation.2. We will ask...").
    assert not re.search(r"\.\d\. ", text)
    assert "<style" not in html
    assert 'style="' in html
    if "when" in planned.context:
        assert planned.context["when"] in text


@pytest.mark.parametrize("locale", LOCALES)
def test_subjects_arrive_word_for_word(locale: str) -> None:
    """Encoded and folded for the wire, then decoded: not a space lost between two words
    (Python 3.11's own folding loses one where it splits an Arabic subject)."""
    for one in samples(locale):
        context, planned = one.context(), one.email
        subject = mail.render(
            planned.template, context, to=planned.to_address, sender=SENDER, message_id="d-1"
        )["Subject"]
        assert rendered(one.name, locale)["Subject"] == subject
        assert "  " not in subject


def test_an_unknown_language_falls_back_to_english_not_to_an_error() -> None:
    english = parts(rendered("registration_confirmed", "en"))
    assert parts(rendered("registration_confirmed", "en", locale="fr")) == english
    assert parts(rendered("registration_confirmed", "en", locale=None)) == english
    assert isinstance(templating.catalogue("fr"), type(templating.catalogue("en")))


def test_a_sentence_missing_from_a_catalogue_comes_out_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalogue that lacks a sentence (a new template, not yet translated) still renders:
    that sentence in English, the others translated."""
    folder = tmp_path / "uk" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Your place is confirmed."\nmsgstr "Ваше місце підтверджено."\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(templating, "TRANSLATIONS", tmp_path)
    templating.templates.cache_clear()
    try:
        text, _ = parts(rendered("registration_confirmed", "uk"))
    finally:
        templating.templates.cache_clear()
    assert "Ваше місце підтверджено." in text
    assert "The calendar invite is attached." in text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SAMPLES)
def test_a_name_is_text_never_markup(name: str, locale: str) -> None:
    """<script> in a name or title reaches the HTML escaped, in every email that shows it."""
    attack = "<script>alert(1)</script>"
    message = rendered(name, locale, name=attack, other=attack, title=attack)
    _, html = parts(message)
    assert "<script" not in html
    context, _ = sample(name, locale)
    if {"name", "other", "title"} & set(context) and "coordinator" not in name:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SAMPLES)
def test_a_line_break_in_a_name_can_never_add_a_header(name: str, locale: str) -> None:
    """'Ali\\r\\nBcc: x@example.org' as a name (or the other person's, a title, or the
    group's name, which goes into From): the parsed message has its own headers only, one
    recipient, and a one-line subject."""
    attack = "Ali\r\nBcc: x@example.org\r\n\r\nforged body"
    group = domain.signature(attack, "leeds@sanctuary.example", local=True)
    message = rendered(name, locale, name=attack, other=attack, title=attack, group=group)
    assert message["Bcc"] is None
    assert set(message.keys()) <= {
        "Subject",
        "From",
        "Reply-To",
        "To",
        "Message-ID",
        "Date",
        "MIME-Version",
        "Content-Type",
    }
    _, planned = sample(name, locale)
    assert message.get_all("To") == [planned.to_address]
    assert "\n" not in str(message["Subject"])
    assert "\r" not in str(message["Subject"])


def test_times_read_in_the_readers_language_in_the_events_zone() -> None:
    winter = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    summer = datetime(2026, 6, 5, 10, 30, tzinfo=UTC)
    assert domain.local_time(winter, "Europe/London", "ar") == (
        "السبت 5 ديسمبر 2026، 10:30 (توقيت غرينتش)"
    )
    assert domain.local_time(summer, "Europe/London", "uk") == (
        "пʼятниця, 5 червня 2026, 11:30 (за літнім часом у Великій Британії)"  # noqa: RUF001
    )
    assert domain.local_time(summer, "Europe/London", "fr") == "Friday 5 June 2026, 11:30 BST"


def test_in_arabic_each_name_stands_apart_from_the_sentence_around_it() -> None:
    """A Latin name ending one sentence and starting the next ran together in a right-to-left
    email ("Omar. Omar"): each name is isolated (<bdi>; U+2068 and U+2069 in text), in
    Arabic only, and never an address or a link."""
    text, html = parts(rendered("match_introduction (volunteer)", "ar", other="Omar"))
    assert "\u2068Omar\u2069." in text
    assert "<bdi>Omar</bdi>" in html
    assert not re.search(r"\u2068[^\u2069]*(@|https?:)", text)
    english, _ = parts(rendered("match_introduction (volunteer)", "en", other="Omar"))
    assert "\u2068" not in english


def test_readiness_says_what_is_missing_in_the_readers_words() -> None:
    text, _ = parts(rendered("volunteer_readiness (missing)", "uk"))
    assert "- дві рекомендації (не від членів родини)" in text
    assert "- наше навчання із захисту людей, онлайн або наживо" in text  # noqa: RUF001
    assert "коротка розмова" not in text  # screening passed: not listed
    ready, _ = parts(rendered("volunteer_readiness (ready)", "en"))
    assert "every check is done" in ready


def test_the_stop_link_shows_only_when_there_is_one() -> None:
    """Part of the unsubscribe flow: the layout shows the link the sender puts in the context."""
    without = parts(rendered("event_reminder (day)", "ar"))
    url = "https://sanctuary.example/unsubscribe/abc"
    text, html = parts(rendered("event_reminder (day)", "ar", unsubscribe_url=url))
    assert url not in "".join(without)
    assert f"إيقاف هذه الرسائل: {url}" in text
    assert f'href="{url}"' in html


def test_docs_emails_md_shows_the_emails_as_the_templates_render_them() -> None:
    """docs/emails.md is generated (scripts/email-samples); stale, this fails."""
    root = Path(__file__).resolve().parents[3]
    checked = subprocess.run(
        [sys.executable, str(root / "scripts" / "email-samples"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_long_line_never_goes_out_as_7bit() -> None:
    """SMTP allows 998 characters a line: an ASCII part with a longer line (inlined CSS can make
    one) goes in base64, and reads back the same."""
    long_line = "<p>" + "x" * 2000 + "</p>"
    parts = mail.Rendered("Hello", "short text\n", f"<html>{long_line}</html>\n")
    wire = mail.compose(parts, {}, to="a@example.org", sender=SENDER, message_id="d-1")
    assert max(len(line) for line in wire.split(b"\r\n")) <= 998
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(wire)
    assert isinstance(parsed, EmailMessage)
    html, text = parsed.get_body(("html",)), parsed.get_body(("plain",))
    assert html is not None
    assert text is not None
    assert html["Content-Transfer-Encoding"] == "base64"
    assert long_line in html.get_content()
    assert text["Content-Transfer-Encoding"] == "7bit"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_lone_carriage_return_never_reaches_the_wire(locale: str) -> None:
    """A title ending "\\r." (the shape of SMTP smuggling) or a name holding a lone CR: the part
    goes in base64, so no CR stands on the wire without its LF, and the text reads back."""
    changes = {"title": "Safeguarding\r.", "name": "Ali\rBcc"}
    wire = on_the_wire("registration_confirmed", locale, **changes)
    assert b"\r" not in wire.replace(b"\r\n", b"")
    text, _ = parts(rendered("registration_confirmed", locale, **changes))
    assert "Safeguarding\r." in text


@pytest.mark.parametrize(
    "subject",
    [
        *{
            one.email.template: mail.render_parts(one.email.template, one.context()).subject
            for one in samples("en")
        }.values(),
        "=?utf-8?q?looks_encoded?=",  # left as it is, as email.header leaves it
        "x" * mail.SHORT_SUBJECT,
        "x" * (mail.SHORT_SUBJECT + 1),
        "Training: " + "safeguarding " * 8,
        "Welcome, Ali",
        "Здравствуйте",
        "Tab\there",
    ],
)
def test_a_short_ascii_subject_is_written_as_email_header_would(subject: str) -> None:
    """The short ASCII subject is written without email.header, byte for byte the same."""
    charset = "us-ascii" if subject.isascii() else "utf-8"
    folded = Header(subject, charset, maxlinelen=78, header_name="Subject").encode(linesep="\r\n")
    assert mail._subject(subject) == f"Subject: {folded}\r\n"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_templates_translator_renders_as_the_i18n_extension_does(
    locale: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_` in the templates is mail's own, for speed: every email renders as with the i18n
    extension's `_`, also with a name that looks like markup."""

    def every_email() -> list[mail.Rendered]:
        return [
            mail.render_parts(one.email.template, {**one.context(), **changes})
            for one in samples(locale)
            for changes in ({}, {"name": "<b>Ali</b> & 'Co' %(x)s"})
        ]

    def without_isolates(shown: mail.Rendered) -> mail.Rendered:
        # Ours alone sets names apart in right-to-left emails; the rest must be the same.
        marks = ("\u2068", "\u2069", "<bdi>", "</bdi>")
        subject, text, html = (
            reduce(lambda t, m: t.replace(m, ""), marks, part)
            for part in (shown.subject, shown.text, shown.html)
        )
        return mail.Rendered(subject, text, html)

    ours = [without_isolates(one) for one in every_email()]
    extensions_own = Environment(autoescape=True, extensions=["jinja2.ext.i18n"]).globals["_"]
    monkeypatch.setitem(templating.templates(locale).globals, "_", extensions_own)
    assert every_email() == ours


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SAMPLES)
def test_every_email_is_signed_by_its_group_and_names_its_contact(name: str, locale: str) -> None:
    """The group's name closes the email and is the From name; its contact is the Reply-To
    and, in every email to a volunteer, newcomer, referrer or registrant, in the text and
    the HTML: never an empty contact ("write to .")."""
    [found] = [s for s in samples(locale) if s.name == name]
    message = rendered(name, locale)
    text, html = parts(message)
    contact, signed_by = found.group["contact"], found.group["name"]
    assert contact
    assert message["Reply-To"] == contact
    assert message["From"].addresses[0].display_name == signed_by
    assert signed_by in text
    assert signed_by in html
    if "coordinator" not in name:  # a coordinator's email goes to that very address
        assert contact in text
        assert contact in html
    assert "write to ." not in text.lower()
