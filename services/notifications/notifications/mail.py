"""Rendering an email from its templates, and handing it to an SMTP server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications import invites
from notifications.config import NotificationsConfig

_templates = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing value is an error, never a blank in someone's email
    keep_trailing_newline=True,
)


def render(
    template: str, context: dict[str, Any], *, to: str, sender: str, message_id: str
) -> EmailMessage:
    """A multipart email (plain text and HTML) from `template`'s three files, with a calendar
    invite attached when the context asks for one."""
    message = EmailMessage()
    message["Subject"] = _templates.get_template(f"{template}.subject.txt").render(context).strip()
    message["From"] = sender
    message["To"] = to
    # Stable per delivery: if a crash makes us send it again, mail clients see one message.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message.set_content(_templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(
        _templates.get_template(f"{template}.html").render(context), subtype="html"
    )
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
