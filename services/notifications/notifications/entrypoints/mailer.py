"""The mailer process: sends pending deliveries over SMTP, retrying with growing delays.

The worker rendered each email when it planned it (ADR 0019); the mailer puts the words into
MIME with the secret links and sends the bytes. Each batch is claimed first (`sending`,
committed), then each email is sent and marked `sent` in its own commit right after the
server's 250, one round trip on a connection kept while there is work. A crash leaves the claimed
emails to the next mailer once the claim runs out; only the one whose 250 arrived before its
commit is sent twice, with the same Message-ID (docs/emails-delivery.md).
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from sanctuary import metrics, redact
from sanctuary.db import session_factory
from sanctuary.failures import describe
from sanctuary.unit_of_work import unit_of_work
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from notifications import domain
from notifications.adapters.deliveries import Claimed, DeliveryStore
from notifications.adapters.mail import Rendered, compose, render_parts
from notifications.adapters.models import Outbox
from notifications.adapters.smtp import ConnectionLost, SmtpSession
from notifications.adapters.smtp import reply as smtp_reply
from notifications.config import NotificationsConfig
from notifications.domain import links
from notifications.service_layer import privacy

log = logging.getLogger(__name__)


class Mailer:
    """Sends due deliveries in batches; several mailers never take the same row."""

    def __init__(self, engine: Engine, config: NotificationsConfig) -> None:
        self.config = config
        self.store = DeliveryStore(engine, config)
        self.sessions = session_factory(engine)
        # Kept from one batch to the next while there is work (`run`), closed when idle.
        self.smtp = SmtpSession(config)
        self.envelope_from = parseaddr(config.mail_from)[1]

    def send_due(self, stopping: threading.Event | None = None) -> int:
        """Send one batch of due deliveries on a session of its own; returns how many were
        tried. Once `stopping` is set, ends after the email in hand: the rest go back to
        pending for the next mailer."""
        try:
            tried = self._send_batch(stopping)
            self.finish_erasures()
            return tried
        finally:
            self.close()

    def finish_erasures(self) -> int:
        """Announce each erasure whose confirmation email is sent or given up, in one
        transaction with blanking that email (`privacy.finish_erasures`). Run after each
        batch, so a crash between sending and announcing is made good by the next loop."""
        with unit_of_work(self.sessions, Outbox) as uow:
            return privacy.finish_erasures(uow)

    def _send_batch(self, stopping: threading.Event | None) -> int:
        """Claim and send one batch, on the SMTP session and marks connection kept from the
        batch before (opened if there is none); a lost session is dropped, not reused."""
        started = time.monotonic()
        batch = self.store.claim()
        if not batch:
            return 0
        try:
            smtp = self.smtp.for_batch(len(batch))
        except (smtplib.SMTPException, OSError) as exc:
            for claimed in batch:
                self._failed(claimed, exc)
            return len(batch)
        done = 0
        try:
            self.store.open_marks()
            for claimed in batch:
                # Stop well inside the claim, so no other mailer takes an email we still send.
                late = time.monotonic() - started > self.config.mail_claim_seconds / 2
                if late or (stopping is not None and stopping.is_set()):
                    break
                done += 1
                self._send(smtp, claimed)
        except ConnectionLost:
            self.smtp.close()
        except BaseException:
            self.close()  # a database error: the marks connection may be broken too
            raise
        finally:
            self.store.release(batch[done:])
        return len(batch)

    def close(self) -> None:
        """End the SMTP session (QUIT) and give the marks connection back, if open."""
        self.smtp.close()
        self.store.close()

    def _send(self, smtp: smtplib.SMTP, claimed: Claimed) -> None:
        try:
            message = self._message(claimed)
        except Exception as exc:  # a template that cannot render will not render next time
            self._failed(claimed, exc, permanent=True, reply=f"cannot render: {describe(exc)}")
            return
        try:
            smtp.sendmail(self.envelope_from, [claimed.to_address], message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reply = "; ".join(smtp_reply(c, m) for c, m in exc.recipients.values())
            permanent = all(domain.is_permanent_smtp_code(code) for code in codes)
            self._failed(claimed, exc, permanent=permanent, reply=reply)
            if 421 in codes:  # the server closes the session after a 421
                raise ConnectionLost from exc
            return
        except smtplib.SMTPResponseException as exc:
            reply = smtp_reply(exc.smtp_code, exc.smtp_error)
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
        self.store.mark_sent(claimed)
        metrics.EMAILS.labels("notifications", DeliveryStatus.SENT).inc()
        log.info(
            "sent %s",
            claimed.template,
            extra={"delivery_id": str(claimed.id), "correlation_id": claimed.correlation_id},
        )

    def _message(self, claimed: Claimed) -> bytes:
        """The email's bytes: the worker's rendering with the secret links put in (or, for a
        row planned before the worker rendered, rendered now), in MIME."""
        made = links.secret_links(
            claimed.template,
            claimed.context,
            claimed.to_address,
            secret=self.config.link_secret,
            base_url=self.config.public_base_url,
        )
        if claimed.rendered is not None:
            marks = links.link_marks(claimed.id, claimed.template, claimed.context)
            parts = Rendered.from_json(claimed.rendered).replace(
                {mark: made[name] for name, mark in marks.items()}
            )
        else:
            parts = render_parts(claimed.template, {**claimed.context, **made})
        headers = {}
        if "unsubscribe_url" in made:
            # RFC 8058: mail clients offer one click, which POSTs to this address.
            headers["List-Unsubscribe"] = f"<{made['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return compose(
            parts,
            claimed.context,
            to=claimed.to_address,
            sender=self.config.mail_from,
            message_id=str(claimed.id),
            headers=headers,
        )

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
        values: dict[str, Any] = {"attempts": attempts, "last_error": last_error}
        if permanent or attempts >= self.config.mail_max_attempts:
            values.update(
                status=DeliveryStatus.FAILED, next_attempt_at=datetime.now(UTC), rendered=None
            )
        else:
            delay = domain.retry_delay(attempts, self.config.retry_delays_ms)
            values.update(status=DeliveryStatus.PENDING, next_attempt_at=datetime.now(UTC) + delay)
        status = values["status"]
        self.store.record_failure(claimed.id, values)
        metrics.EMAILS.labels(
            "notifications",
            DeliveryStatus.FAILED if status == DeliveryStatus.FAILED else DeliveryStatus.RETRYING,
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
        """Send until `stopping` is set; sleeps only when nothing was due (emails planned while a
        batch went out go next, not a poll later) or the SMTP session was lost. The SMTP
        session and the marks connection last while there is work (connection reuse)."""
        log.info("mailer started")
        try:
            while not stopping.is_set():
                try:
                    tried = self._send_batch(stopping)
                    self.finish_erasures()
                except SQLAlchemyError as exc:
                    log.warning(
                        "mailer cannot reach its database, retrying in 1 s: %s", describe(exc)
                    )
                    self.close()  # connections from before the outage are not reused
                    stopping.wait(1.0)
                    continue
                if tried == 0:
                    self.close()  # nothing due: no session held open while idle
                if tried == 0 or self.smtp.session is None:
                    # Nothing due; or the server ended the session (a 421, a drop) or could
                    # not be reached: a poll's pause before the next session, not a storm.
                    stopping.wait(self.config.mail_poll_seconds)
        finally:
            self.close()
        log.info("mailer stopped")
