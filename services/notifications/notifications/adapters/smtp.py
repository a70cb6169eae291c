"""The SMTP session the mailer keeps from one batch to the next while there is work."""

from __future__ import annotations

import logging
import smtplib
import time

from notifications.config import NotificationsConfig

log = logging.getLogger(__name__)
# A kept SMTP session carries batches while there is work, up to these, then a new one starts.
SESSION_EMAILS = 200
SESSION_SECONDS = 60.0


class ConnectionLost(Exception):
    """The SMTP session is gone: the rest of the batch waits for a new one."""


class SmtpSession:
    """One SMTP session at a time, opened as configured, renewed before it grows stale."""

    def __init__(self, config: NotificationsConfig) -> None:
        self.config = config
        self.session: smtplib.SMTP | None = None
        self._started, self._emails = 0.0, 0

    def for_batch(self, emails: int) -> smtplib.SMTP:
        """The session to send the next `emails` on: the kept one while usable, else a new
        one (raises what connecting raised)."""
        if self.session is not None and not self._usable():
            self.close()  # a new session, before an email pays a try for the old one
        if self.session is None:
            self.session = self._open()
            self._started, self._emails = time.monotonic(), 0
        self._emails += emails
        return self.session

    def _open(self) -> smtplib.SMTP:
        """Connect, upgrade to TLS and log in as configured."""
        smtp = smtplib.SMTP(self.config.smtp_host, self.config.smtp_port, timeout=10)
        if self.config.smtp_starttls:
            smtp.starttls()
        if self.config.smtp_username:
            smtp.login(self.config.smtp_username, self.config.smtp_password)
        return smtp

    def _usable(self) -> bool:
        """Whether the kept session may carry another batch: not too old nor too long (many
        servers end a session after so many messages or minutes, with a 421 an email would pay
        for), and still answering (NOOP: the server may have ended it when idle)."""
        assert self.session is not None
        young = time.monotonic() - self._started < SESSION_SECONDS
        return young and self._emails < SESSION_EMAILS and _still_open(self.session)

    def close(self) -> None:
        """End the session (QUIT), if open."""
        if self.session is None:
            return
        smtp, self.session = self.session, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            log.warning("SMTP server closed the session before QUIT")
            smtp.close()


def _still_open(smtp: smtplib.SMTP) -> bool:
    """Whether a kept SMTP session still answers (NOOP: one round trip a batch)."""
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def reply(code: int, message: bytes | str) -> str:
    """An SMTP reply as the server gave it: "451 4.3.0 Try again later"."""
    text = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"
