"""Rendering an email from its templates, in the reader's language, and handing it to an
SMTP server.

Templates are Jinja2 with the i18n extension; the catalogues are gettext `.po` files under
`translations/`, compiled in memory when first used (no `.mo` to build or to forget). A
locale we have no catalogue for, or a sentence not yet translated, comes out in English.
"""

from __future__ import annotations

import email.policy
import functools
import smtplib
import uuid
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import formataddr, formatdate, parseaddr
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
CRLF = "\r\n"
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


def one_line(value: str) -> str:
    """A header value on one line: a CR or LF in a name or title can never start a header."""
    return " ".join(value.split())


@dataclass(frozen=True)
class Rendered:
    """An email's words in its reader's language: what the templates make, once. The worker
    renders them when it plans the email (an email that cannot render parks its message); the
    mailer only puts them into MIME (`compose`), adding the secret links and the headers."""

    subject: str
    text: str
    html: str

    def as_json(self) -> dict[str, str]:
        return {"subject": self.subject, "text": self.text, "html": self.html}

    @classmethod
    def from_json(cls, stored: dict[str, str]) -> Rendered:
        return cls(stored["subject"], stored["text"], stored["html"])

    def replace(self, values: dict[str, str]) -> Rendered:
        """With each key (a link's mark) replaced by its value in the text and HTML parts."""
        text, html = self.text, self.html
        for mark, value in values.items():
            text, html = text.replace(mark, value), html.replace(mark, value)
        return Rendered(self.subject, text, html)


def render_parts(template: str, context: dict[str, Any], locale: str | None = None) -> Rendered:
    """Subject, plain text and HTML (CSS inlined) from `template`'s three files, in `locale`
    (else the context's, else English)."""
    env = templates(locale or context.get("locale") or DEFAULT_LOCALE)
    subject = one_line(env.get_template(f"{template}.subject.txt").render(context))
    context = {**context, "subject": subject}
    text = env.get_template(f"{template}.txt").render(context)
    html = _inliner.inline(env.get_template(f"{template}.html").render(context))
    return Rendered(subject, text, html)


def compose(
    parts: Rendered,
    context: dict[str, Any],
    *,
    to: str,
    sender: str,
    message_id: str,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The email as it goes on the wire (CRLF line ends): a text and an HTML alternative, and a
    calendar invite when the context asks for one.

    The body is built with the standard library's MIME classes (the compat32 API), which cost
    a third of EmailMessage's. The top headers are written here: the subject encoded and folded
    by email.header (so a long Arabic subject keeps its spaces, which Python 3.11's own refolding
    loses), the rest on one line each, unfolded (a List-Unsubscribe URL stays whole). A value
    holding a line break or a non-ASCII character is refused: no name or title can add a
    header, and an address this mailer cannot put on the wire fails visibly.
    """
    alternative = MIMEMultipart("alternative", boundary=_boundary())
    alternative.attach(_text(parts.text, "plain"))
    alternative.attach(_text(parts.html, "html"))
    method = context.get("calendar_method")
    if method:
        message = MIMEMultipart("mixed", boundary=_boundary())
        message.attach(alternative)
        ics = invites.invite(context["event"], method=method, organiser=parseaddr(sender)[1])
        invite = _text(ics.decode(), "calendar")
        invite.set_param("method", method)
        invite.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(invite)
    else:
        message = alternative
    name, address = parseaddr(sender)
    domain = address.rpartition("@")[2] or "localhost"
    fields = {
        "From": formataddr((name, address)),
        # The address alone: no name in a header, so no name can ever add one (or leak there).
        "To": to,
        "Date": formatdate(usegmt=True),
        # Stable per delivery: if a crash makes us send it again, mail clients see one message.
        "Message-ID": f"<{message_id}@{domain}>",
        **(headers or {}),
    }
    head = [_subject(parts.subject)]
    for field, value in fields.items():
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"the {field} header cannot hold {value!r}")
        head.append(f"{field}: {value}{CRLF}")
    body = BytesIO()
    BytesGenerator(body, mangle_from_=False, maxheaderlen=78).flatten(message, linesep=CRLF)
    return "".join(head).encode("ascii") + body.getvalue()


def _boundary() -> str:
    """A MIME boundary no part can hold: 128 random bits. (Left to itself, the generator
    searches each body for its boundary with a freshly compiled regex: a tenth of a
    millisecond an email.)"""
    return f"=_{uuid.uuid4().hex}"


def _subject(subject: str) -> str:
    """The Subject header, folded: encoded words (RFC 2047) when it is not ASCII."""
    charset = "us-ascii" if subject.isascii() else "utf-8"
    folded = Header(subject, charset, maxlinelen=78, header_name="Subject").encode(linesep=CRLF)
    return f"Subject: {folded}{CRLF}"


def _text(content: str, subtype: str) -> MIMEText:
    """A text part: 7bit when ASCII, else UTF-8 in base64 (no line can grow too long)."""
    if content.isascii():
        return MIMEText(content, subtype, "us-ascii")
    return MIMEText(content, subtype, "utf-8")


def render(
    template: str,
    context: dict[str, Any],
    *,
    to: str,
    sender: str,
    message_id: str,
    locale: str | None = None,
) -> EmailMessage:
    """The whole email from `template`, parsed back from its bytes: for samples and tests (the
    mailer sends `compose`'s bytes as they are)."""
    parts = render_parts(template, context, locale)
    wire = compose(parts, context, to=to, sender=sender, message_id=message_id)
    # Read as a mail client shows it: with the reader's line ends, not the wire's CRLF.
    parsed = BytesParser(policy=email.policy.default).parsebytes(wire.replace(b"\r\n", b"\n"))
    assert isinstance(parsed, EmailMessage)  # the default policy's class
    return parsed


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
