"""The mailer process: sends pending deliveries over SMTP, retrying with growing delays.

Each batch is claimed first (`sending`, committed), then each email is sent and marked
`sent` in its own commit right after the server's 250. A crash leaves the claimed emails to
the next mailer once the claim runs out; only the one whose 250 arrived before its commit is
sent twice, with the same Message-ID (docs/emails-delivery.md).
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sanctuary import metrics, redact
from sanctuary.consumer import describe
from sanctuary.db import SessionFactory
from sanctuary.links import cancel_token
from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from notifications import domain
from notifications.config import NotificationsConfig
from notifications.mail import SmtpTransport, render
from notifications.models import Delivery, Unsubscribe

log = logging.getLogger(__name__)
BATCH = 20


@dataclass(frozen=True)
class Claimed:
    """What sending one delivery needs, read while claiming it."""

    id: uuid.UUID
    template: str
    to_address: str
    context: dict[str, Any]
    attempts: int
    correlation_id: str


class ConnectionLost(Exception):
    """The SMTP session is gone: the rest of the batch waits for a new one."""


class Mailer:
    """Sends due deliveries in batches; several mailers never take the same row."""

    def __init__(self, sessions: SessionFactory, config: NotificationsConfig) -> None:
        self.sessions = sessions
        self.config = config
        self.transport = SmtpTransport(config)

    def send_due(self, stopping: threading.Event | None = None) -> int:
        """Send one batch of due deliveries; returns how many were tried. Once `stopping` is
        set, ends after the email in hand: the rest go back to pending for the next mailer."""
        started = time.monotonic()
        batch = self._claim()
        if not batch:
            return 0
        try:
            smtp = self.transport.open()
        except (smtplib.SMTPException, OSError) as exc:
            for claimed in batch:
                self._failed(claimed, exc)
            return len(batch)
        done = 0
        try:
            for claimed in batch:
                # Stop well inside the claim, so no other mailer takes an email we still send.
                late = time.monotonic() - started > self.config.mail_claim_seconds / 2
                if late or (stopping is not None and stopping.is_set()):
                    break
                done += 1
                self._send(smtp, claimed)
        except ConnectionLost:
            pass
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                log.warning("SMTP server closed the session before QUIT")
            self._release(batch[done:])
        return len(batch)

    def _claim(self) -> list[Claimed]:
        """Mark a batch of due deliveries `sending` until the claim runs out, and commit: then
        no other mailer takes them, and a crash leaves them to the next one."""
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            due = session.scalars(
                select(Delivery)
                .where(
                    Delivery.status.in_((domain.PENDING, domain.SENDING)),
                    Delivery.next_attempt_at <= now,
                )
                .order_by(Delivery.next_attempt_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            unsubscribed = self._unsubscribed(session, due)
            batch = []
            for delivery in due:
                category = domain.OPTIONAL_CATEGORIES.get(delivery.template)
                if category and (self._hash(delivery.to_address), category) in unsubscribed:
                    delivery.status = domain.SUPPRESSED
                    metrics.EMAILS.labels("notifications", "suppressed").inc()
                    continue
                delivery.status = domain.SENDING
                delivery.next_attempt_at = now + timedelta(seconds=self.config.mail_claim_seconds)
                batch.append(
                    Claimed(
                        delivery.id,
                        delivery.template,
                        delivery.to_address,
                        delivery.context,
                        delivery.attempts,
                        delivery.correlation_id,
                    )
                )
        return batch

    def _hash(self, address: str) -> str:
        return domain.address_hash(self.config.link_secret, address)

    def _unsubscribed(self, session: Session, due: Any) -> set[tuple[str, str]]:
        hashes = {self._hash(d.to_address) for d in due if d.template in domain.OPTIONAL_CATEGORIES}
        if not hashes:
            return set()
        rows = session.execute(
            select(Unsubscribe.address_hash, Unsubscribe.category).where(
                Unsubscribe.address_hash.in_(hashes)
            )
        )
        return {(h, c) for h, c in rows}

    def _release(self, claimed: list[Claimed]) -> None:
        """Give back emails claimed and not tried: due now, for the next batch or mailer."""
        if not claimed:
            return
        with self.sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_([c.id for c in claimed]), Delivery.status == domain.SENDING)
                .values(status=domain.PENDING, next_attempt_at=datetime.now(UTC))
            )

    def _send(self, smtp: smtplib.SMTP, claimed: Claimed) -> None:
        try:
            message = self._message(claimed)
        except Exception as exc:  # a template that cannot render will not render next time
            self._failed(claimed, exc, permanent=True, reply=f"cannot render: {describe(exc)}")
            return
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reply = "; ".join(_reply(c, m) for c, m in exc.recipients.values())
            permanent = all(domain.is_permanent_smtp_code(code) for code in codes)
            self._failed(claimed, exc, permanent=permanent, reply=reply)
            return
        except smtplib.SMTPResponseException as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            self._failed(
                claimed, exc, permanent=domain.is_permanent_smtp_code(exc.smtp_code), reply=reply
            )
            if exc.smtp_code == 421:  # the server closes the session after a 421
                raise ConnectionLost from exc
            return
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(claimed, exc)
            raise ConnectionLost from exc
        # The window: the server has the email; until this commit, a crash sends it again.
        with self.sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Not waiting for the disk: the mailer dying loses nothing committed; only
                # the database server crashing may lose the last ~0.6 s of these marks, and
                # those emails go once more (docs/emails-delivery.md). A third faster here.
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            session.execute(
                update(Delivery)
                .where(Delivery.id == claimed.id)
                .values(
                    status=domain.SENT,
                    attempts=claimed.attempts + 1,
                    sent_at=datetime.now(UTC),
                    last_error=None,
                )
            )
        metrics.EMAILS.labels("notifications", "sent").inc()
        log.info(
            "sent %s",
            claimed.template,
            extra={"delivery_id": str(claimed.id), "correlation_id": claimed.correlation_id},
        )

    def _message(self, claimed: Claimed) -> EmailMessage:
        context, unsubscribe_url = send_context(
            claimed.template,
            claimed.context,
            claimed.to_address,
            link_secret=self.config.link_secret,
            base_url=self.config.public_base_url,
        )
        message = render(
            claimed.template,
            context,
            to=claimed.to_address,
            sender=self.config.mail_from,
            message_id=str(claimed.id),
        )
        if unsubscribe_url:
            # RFC 8058: mail clients offer one click, which POSTs to this address.
            message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return message

    def _failed(
        self,
        claimed: Claimed,
        exc: BaseException,
        *,
        permanent: bool = False,
        reply: str | None = None,
    ) -> None:
        """Record a failed try: `failed` for good if permanent or out of tries, else pending
        again after the next of RETRY_DELAYS_MS."""
        attempts = claimed.attempts + 1
        last_error = redact.emails(reply or describe(exc))[:300]
        if permanent or attempts >= self.config.mail_max_attempts:
            status, due = domain.FAILED, datetime.now(UTC)
        else:
            delay = domain.retry_delay(attempts, self.config.retry_delays_ms)
            status, due = domain.PENDING, datetime.now(UTC) + delay
        with self.sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == claimed.id)
                .values(
                    status=status, attempts=attempts, last_error=last_error, next_attempt_at=due
                )
            )
        metrics.EMAILS.labels(
            "notifications", "failed" if status == domain.FAILED else "retrying"
        ).inc()
        log.warning(
            "could not send %s (attempt %d, now %s): %s",
            claimed.template,
            attempts,
            status,
            last_error,
            extra={"delivery_id": str(claimed.id), "correlation_id": claimed.correlation_id},
        )

    def run(self, stopping: threading.Event) -> None:
        """Send until `stopping` is set; sleeps only when nothing was due."""
        log.info("mailer started")
        while not stopping.is_set():
            try:
                tried = self.send_due(stopping)
            except SQLAlchemyError as exc:
                log.warning("mailer cannot reach its database, retrying in 1 s: %s", describe(exc))
                stopping.wait(1.0)
                continue
            if tried < BATCH:
                stopping.wait(self.config.mail_poll_seconds)
        log.info("mailer stopped")


def _reply(code: int, message: bytes | str) -> str:
    """An SMTP reply as the server gave it: "451 4.3.0 Try again later"."""
    text = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def send_context(
    template: str, context: dict[str, Any], to_address: str, *, link_secret: str, base_url: str
) -> tuple[dict[str, Any], str | None]:
    """The context an email is rendered with, and its unsubscribe address if it is optional.
    Secret links are made here, when sending, from LINK_SECRET: never stored, never queued."""
    if "registration_id" in context:
        registration_id = uuid.UUID(context["registration_id"])
        token = cancel_token(link_secret, registration_id)
        link = f"{base_url}/registrations/{registration_id}/cancel?token={token}"
        context = {**context, "cancel_url": link}
    category = domain.OPTIONAL_CATEGORIES.get(template)
    if not category:
        return context, None
    unsubscribe = domain.unsubscribe_token(link_secret, to_address, category)
    unsubscribe_url = f"{base_url}/unsubscribe/{unsubscribe}"
    return {**context, "unsubscribe_url": unsubscribe_url}, unsubscribe_url
