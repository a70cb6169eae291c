"""Rendering an email from its templates, in the reader's language, and handing it to an
SMTP server.

Templates are Jinja2 with the i18n extension; the catalogues are gettext `.po` files under
`translations/`, compiled in memory when first used (no `.mo` to build or to forget). A
locale we have no catalogue for, or a sentence not yet translated, comes out in English.
"""

from __future__ import annotations

import functools
import smtplib
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import parseaddr
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Any

import css_inline
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications import invites
from notifications.config import NotificationsConfig

TRANSLATIONS = Path(__file__).parent / "translations"
LOCALES = ("en", "ar", "uk")
DEFAULT_LOCALE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
# The layout's <style> goes into style attributes: many mail clients drop <style> blocks.
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


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
    if locale not in LOCALES:
        return templates(DEFAULT_LOCALE)
    environment = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing value is an error, never a blank in an email
        keep_trailing_newline=True,
        trim_blocks=True,  # a line holding only {% if %} or {% endif %} leaves no blank line
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(catalogue(locale), newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(lang=locale, dir="rtl" if locale in RIGHT_TO_LEFT else "ltr")
    return environment


class MailPolicy(EmailPolicy):
    """The standard policy, except that a non-ASCII subject is encoded by the older
    email.header code: Python 3.11's refolding drops the space where it splits encoded words,
    so an Arabic subject would arrive with two words run together."""

    def fold(self, name: str, value: Any) -> str:
        if name.lower() == "subject" and not str(value).isascii():
            return self._encoded(name, str(value))
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() == "subject" and not str(value).isascii():
            return self._encoded(name, str(value)).encode("ascii")
        return bytes(super().fold_binary(name, value))

    def _encoded(self, name: str, value: str) -> str:
        width = self.max_line_length or 78
        words = Header(value, "utf-8", maxlinelen=width, header_name=name)
        return f"{name}: {words.encode(linesep=self.linesep)}{self.linesep}"


POLICY = MailPolicy()


def one_line(value: str) -> str:
    """A header value on one line: a CR or LF in a name or title can never start a header."""
    return " ".join(value.split())


def render(
    template: str,
    context: dict[str, Any],
    *,
    to: str,
    sender: str,
    message_id: str,
    locale: str | None = None,
) -> EmailMessage:
    """A multipart email (plain text and HTML) from `template`'s three files, in `locale`
    (else the context's, else English), with a calendar invite when the context asks."""
    env = templates(locale or context.get("locale") or DEFAULT_LOCALE)
    message = EmailMessage(policy=POLICY)
    subject = one_line(env.get_template(f"{template}.subject.txt").render(context))
    context = {**context, "subject": subject}
    message["Subject"] = subject
    message["From"] = sender
    # The address alone: no name in a header, so no name can ever add one (or leak there).
    message["To"] = Address(addr_spec=to)
    # Stable per delivery: if a crash makes us send it again, mail clients see one message.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message.set_content(env.get_template(f"{template}.txt").render(context))
    html = _inliner.inline(env.get_template(f"{template}.html").render(context))
    message.add_alternative(html, subtype="html")
    method = context.get("calendar_method")
    if method:
        ics = invites.invite(context["event"], method=method, organiser=parseaddr(sender)[1])
        message.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            params={"method": method},
            filename="invite.ics",
        )
    return message


class SmtpTransport:
    """One SMTP session for a batch of messages."""

    def __init__(self, config: NotificationsConfig) -> None:
        self.config = config

    def open(self) -> smtplib.SMTP:
        """Connect, upgrade to TLS and log in as configured."""
        smtp = smtplib.SMTP(self.config.smtp_host, self.config.smtp_port, timeout=10)
        if self.config.smtp_starttls:
            smtp.starttls()
        if self.config.smtp_username:
            smtp.login(self.config.smtp_username, self.config.smtp_password)
        return smtp
