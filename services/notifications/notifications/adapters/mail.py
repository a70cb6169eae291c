"""Rendering an email from its templates, in the reader's language, and handing it to an
SMTP server. The templates' environment and catalogues are in adapters/templating.py."""

from __future__ import annotations

import base64
import email.policy
import functools
import time
import uuid
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

import css_inline
from sanctuary.vocabulary import DEFAULT_LOCALE

from notifications.adapters.templating import templates
from notifications.domain import invites

CRLF = "\r\n"
CRLF_BYTES = b"\r\n"
SHORT_SUBJECT = 78 - len("Subject: ")  # fits on the header's first line: nothing to fold
MAX_7BIT_LINE = 900  # RFC 5322 allows 998 characters a line; leave room
# The layout's <style> goes into style attributes: many mail clients drop <style> blocks.
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


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
    # A subject is one short line, searched for in the inbox: no isolates there.
    subject = one_line(env.get_template(f"{template}.subject.txt").render(context))
    subject = subject.replace("\u2068", "").replace("\u2069", "")
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

    Written here rather than with the email package, which costs several times as much for
    this one fixed shape; the tests parse every email in every language back with the email
    package. The subject is
    encoded and folded by email.header (a long Arabic subject keeps its spaces, which Python
    3.11's own refolding loses); the other headers are one line each (a List-Unsubscribe URL
    stays whole). A header value that is not printable ASCII is refused: no name or title can
    add a header, and an address this mailer cannot put on the wire fails visibly.
    """
    from_header, address, domain = _sender(sender)
    fields = {
        **_signed(context.get("group"), from_header, address),
        # The address alone: no name in a header, so no name can ever add one (or leak there).
        "To": to,
        "Date": _date(int(time.time())),
        # Stable per delivery: if a crash makes us send it again, mail clients see one message.
        "Message-ID": f"<{message_id}@{domain}>",
        **(headers or {}),
        "MIME-Version": "1.0",
    }
    head = [_subject(parts.subject)]
    for field, value in fields.items():
        if not value.isascii() or not value.isprintable():
            # The value is not echoed: it may hold a secret link.
            raise ValueError(f"the {field} header holds a line break or a non-ASCII character")
        head.append(f"{field}: {value}{CRLF}")
    body = _multipart("alternative", [_text(parts.text, "plain"), _text(parts.html, "html")])
    method = context.get("calendar_method")
    if method:
        body = _multipart("mixed", [body, _invite(context, method, to, sender)])
    return "".join(head).encode("ascii") + body


def _invite(context: dict[str, Any], method: str, to: str, sender: str) -> bytes:
    """The calendar invite part: addressed to the reader, organised by the reader's group (by
    the configured sender for an email planned before groups)."""
    group = context.get("group")
    name, address = parseaddr(sender)
    organiser = (group["name"], group["contact"]) if group else (name or address, address)
    ics = invites.invite(context["event"], method=method, organiser=organiser, attendee=to)
    return _text(
        ics.decode(),
        "calendar",
        params=f'; method="{method}"',
        extra=f'Content-Disposition: attachment; filename="invite.ics"{CRLF}',
    )


@functools.lru_cache(maxsize=8)
def _sender(sender: str) -> tuple[str, str, str]:
    """The From header, the address and its domain (for Message-IDs) of the configured sender:
    worked out once, not an email."""
    name, address = parseaddr(sender)
    return formataddr((name, address)), address, address.rpartition("@")[2] or "localhost"


def _signed(group: dict[str, str] | None, from_header: str, address: str) -> dict[str, str]:
    """From and Reply-To: the reader's group's name at the configured address (the group's
    own domain would fail SPF and DMARC), replies to its contact; the configured sender for
    an email planned before groups."""
    if not group:
        return {"From": from_header}
    return {"From": _from(group["name"], address), "Reply-To": group["contact"]}


@functools.lru_cache(maxsize=1024)
def _from(name: str, address: str) -> str:
    """A From header of a group's name (on one line, encoded when not ASCII) at `address`."""
    return formataddr((one_line(name), address))


@functools.lru_cache(maxsize=2)
def _date(second: int) -> str:
    """The Date header of a second (RFC 5322), written once for every email of that second."""
    return formatdate(second, usegmt=True)


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    """A multipart entity (headers and body) of `parts`, each an entity itself. The boundary is
    128 random bits, so no part can hold it."""
    boundary = f"=_{uuid.uuid4().hex}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}'
    delimiter = f"--{boundary}{CRLF}".encode("ascii")
    closing = f"--{boundary}--{CRLF}".encode("ascii")
    return (
        head.encode("ascii") + b"".join(delimiter + part + CRLF_BYTES for part in parts) + closing
    )


def _text(content: str, subtype: str, params: str = "", extra: str = "") -> bytes:
    """A text entity: 7bit when it is printable ASCII in short lines, else UTF-8 in base64
    (whose lines are 76 characters, whatever the text's)."""
    text = content.replace("\r\n", "\n")
    lines = text.split("\n")
    if _plain(text) and max(len(line) for line in lines) <= MAX_7BIT_LINE:
        charset, encoding, body = "us-ascii", "7bit", CRLF.join(lines).encode("ascii")
    else:
        charset, encoding = "utf-8", "base64"
        body = base64.encodebytes(content.encode("utf-8")).replace(b"\n", CRLF_BYTES)
    head = (
        f'Content-Type: text/{subtype}; charset="{charset}"{params}{CRLF}'
        f"Content-Transfer-Encoding: {encoding}{CRLF}{extra}{CRLF}"
    )
    return head.encode("ascii") + body


def _plain(text: str) -> bool:
    """Printable ASCII, tabs and LFs only: a lone CR (which SMTP servers read in different
    ways, the stuff of SMTP smuggling) or another control character sends the part in base64."""
    rest = text.replace("\n", "").replace("\t", "")
    return rest.isascii() and rest.isprintable()


def _subject(subject: str) -> str:
    """The Subject header, folded: encoded words (RFC 2047) when it is not ASCII."""
    if subject.isascii() and subject.isprintable() and len(subject) <= SHORT_SUBJECT:
        return f"Subject: {subject}{CRLF}"  # as email.header leaves it (a test), for less
    charset = "us-ascii" if subject.isascii() else "utf-8"
    folded = Header(subject, charset, maxlinelen=78, header_name="Subject").encode(linesep=CRLF)
    return f"Subject: {folded}{CRLF}"


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
