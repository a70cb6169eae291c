"""The mailer process: sends pending deliveries over SMTP, retrying with growing delays.

A crash before the SMTP server accepts a message leaves the delivery pending: it is sent on
restart. A crash after the server accepted it and before the commit sends it once more on
restart, with the same Message-ID; SMTP offers no way to close that last gap.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary import metrics
from sanctuary.consumer import describe
from sanctuary.db import SessionFactory
from sanctuary.links import cancel_token
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from notifications import domain
from notifications.config import NotificationsConfig
from notifications.mail import SmtpTransport, render
from notifications.models import Delivery

log = logging.getLogger(__name__)
BATCH = 20


class Mailer:
    """Sends due deliveries in batches; several mailers on PostgreSQL never take the same row."""

    def __init__(self, sessions: SessionFactory, config: NotificationsConfig) -> None:
        self.sessions = sessions
        self.config = config
        self.transport = SmtpTransport(config)

    def send_due(self, stopping: threading.Event | None = None) -> int:
        """Send one batch of due deliveries; returns how many were tried. Once `stopping` is
        set, ends after the email in hand: the rest stay pending for the next mailer."""
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            due = session.scalars(
                select(Delivery)
                .where(Delivery.status == domain.PENDING, Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            if not due:
                return 0
            try:
                smtp = self.transport.open()
            except (smtplib.SMTPException, OSError) as exc:
                for delivery in due:
                    self._failed(delivery, exc, permanent=False)
                return len(due)
            try:
                for delivery in due:
                    if stopping is not None and stopping.is_set():
                        break
                    self._send(smtp, delivery)
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    log.warning("SMTP server closed the session before QUIT")
        return len(due)

    def _send(self, smtp: smtplib.SMTP, delivery: Delivery) -> None:
        message = render(
            delivery.template,
            self._with_links(delivery.context),
            to=delivery.to_address,
            sender=self.config.mail_from,
            message_id=str(delivery.id),
        )
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(domain.is_permanent_smtp_code(code) for code in codes)
            self._failed(delivery, exc, permanent=permanent)
            return
        except smtplib.SMTPResponseException as exc:
            self._failed(delivery, exc, permanent=domain.is_permanent_smtp_code(exc.smtp_code))
            return
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(delivery, exc, permanent=False)
            return
        delivery.attempts += 1
        delivery.status, delivery.sent_at, delivery.last_error = (
            domain.SENT,
            datetime.now(UTC),
            None,
        )
        metrics.EMAILS.labels("notifications", "sent").inc()
        log.info(
            "sent %s",
            delivery.template,
            extra={"delivery_id": str(delivery.id), "correlation_id": delivery.correlation_id},
        )

    def _with_links(self, context: dict[str, Any]) -> dict[str, Any]:
        # Secret links are made when sending, from LINK_SECRET: never stored, never queued.
        if "registration_id" not in context:
            return context
        registration_id = uuid.UUID(context["registration_id"])
        token = cancel_token(self.config.link_secret, registration_id)
        base = self.config.public_base_url
        link = f"{base}/registrations/{registration_id}/cancel?token={token}"
        return {**context, "cancel_url": link}

    def _failed(self, delivery: Delivery, exc: BaseException, *, permanent: bool) -> None:
        delivery.attempts += 1
        delivery.last_error = describe(exc)[:300]
        if permanent or delivery.attempts >= self.config.mail_max_attempts:
            delivery.status = domain.FAILED
            metrics.EMAILS.labels("notifications", "failed").inc()
        else:
            metrics.EMAILS.labels("notifications", "retrying").inc()
            delivery.next_attempt_at = datetime.now(UTC) + domain.retry_delay(delivery.attempts)
        log.warning(
            "could not send %s (attempt %d, now %s): %s",
            delivery.template,
            delivery.attempts,
            delivery.status,
            delivery.last_error,
            extra={"delivery_id": str(delivery.id), "correlation_id": delivery.correlation_id},
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
