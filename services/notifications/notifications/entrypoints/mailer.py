"""The mailer process: sends pending deliveries over SMTP, retrying with growing delays.

The worker rendered each email when it planned it (ADR 0019); the mailer puts the words into
MIME with the secret links and sends the bytes. Each batch is claimed (`sending`, committed),
then each email is sent and marked `sent` in its own commit right after the server's 250. The
claim is short and renewed while the batch goes out: a mailer's crash leaves its emails to the
next within MAIL_CLAIM_SECONDS, only the one whose 250 came before its commit sent twice
(docs/emails-delivery.md; a database away is waited for, ADR 0035). A server that is down is
probed, one email at a time, instead of letting every email spend its tries on it (ADR 0033).
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from sanctuary import metrics, redact, wakeup
from sanctuary.db import session_factory
from sanctuary.failures import describe
from sanctuary.unit_of_work import unit_of_work
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from notifications import domain
from notifications.adapters.deliveries import Claimed, DeliveryStore
from notifications.adapters.mail import Rendered, compose, render_parts
from notifications.adapters.marks import SentMarks
from notifications.adapters.models import Delivery, Outbox
from notifications.adapters.smtp import ConnectionLost, SmtpSession
from notifications.adapters.smtp import reply as smtp_reply
from notifications.config import NotificationsConfig
from notifications.domain import links
from notifications.domain.outage import Next, Outage
from notifications.service_layer import privacy

log = logging.getLogger(__name__)


class Mailer:
    """Sends due deliveries in batches; several mailers never take the same row."""

    def __init__(self, engine: Engine, config: NotificationsConfig) -> None:
        self.config = config
        self.store = DeliveryStore(engine, config)
        self.marks = SentMarks(engine)
        self.sessions = session_factory(engine)
        # Kept from one batch to the next while there is work (`run`), closed when idle.
        self.smtp = SmtpSession(config)
        # Whether the SMTP server is down: then probes, not batches (ADR 0033).
        self.outage = Outage(probe_ceiling=config.mail_probe_max_seconds)
        # Woken by a commit of new emails, not only by the poll (ADR 0034).
        self.wakeup = wakeup.for_table(engine, Delivery.__tablename__)
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
        """Claim and send one batch (or, while the SMTP server is down, one probe's email), on
        the SMTP session and marks connection kept from the batch before (opened if there is
        none); a lost session is dropped, not reused. The claim is renewed while the batch
        goes out, so a mailer that dies lets its emails go within MAIL_CLAIM_SECONDS."""
        step = self.outage.next(time.monotonic())
        if step is Next.WAIT:
            return 0
        self.marks.settle()  # what was sent before the database went away, first
        batch = self.store.claim() if step is Next.SEND else self.store.claim_probe()
        if not batch:
            return 0
        try:
            smtp = self.smtp.for_batch(len(batch))
        except (smtplib.SMTPException, OSError) as exc:
            self._unreachable(exc)
            self.store.release(batch)  # no email pays a try for a server that is not there
            return len(batch)
        done = 0
        renewed = time.monotonic()
        try:
            self.marks.open()
            for claimed in batch:
                if self.outage.down and step is Next.SEND:
                    break  # it went down mid-batch: the rest wait for a probe, tries untouched
                if stopping is not None and stopping.is_set():
                    break
                if time.monotonic() - renewed > self.config.mail_claim_seconds / 6:
                    self.store.renew(batch[done:])
                    renewed = time.monotonic()
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

    def _answered(self) -> None:
        """The server answered for good (250 or 5xx): if it was down, the emails that waited
        for it go now (ADR 0033)."""
        if self.outage.answered():
            metrics.SMTP_DOWN.labels("notifications").set(0)
            due = self.store.retries_due_now()
            log.info("the SMTP server answers again; %d email(s) waiting for a retry go now", due)

    def _refused(self, claimed: Claimed) -> None:
        """A transient refusal: several in a row, of different emails, mean the server."""
        was_down = self.outage.down
        if self.outage.refused(claimed.id, time.monotonic()) and not was_down:
            self._went_down("it refuses every email for now")

    def _unreachable(self, exc: BaseException) -> None:
        was_down = self.outage.down
        self.outage.unreachable(time.monotonic())
        if not was_down:
            self._went_down(describe(exc))

    def _went_down(self, why: str) -> None:
        metrics.SMTP_DOWN.labels("notifications").set(1)
        ceiling = self.outage.probe_ceiling
        log.warning(
            "the SMTP server is down (%s): probes up to every %g s", redact.emails(why), ceiling
        )

    def close(self) -> None:
        """End the SMTP session (QUIT) and give the marks connection back, if open."""
        self.smtp.close()
        self.marks.close()

    def _send(self, smtp: smtplib.SMTP, claimed: Claimed) -> None:
        try:
            message = self._message(claimed)
        except Exception as exc:  # a template that cannot render will not render next time
            self._failed(claimed, exc, permanent=True, reply=f"cannot render: {describe(exc)}")
            return
        try:
            smtp.sendmail(self.envelope_from, [claimed.to_address], message)
        except smtplib.SMTPRecipientsRefused as exc:
            [(code, text)] = exc.recipients.values()  # one recipient an email
            self._replied(claimed, exc, code, smtp_reply(code, text))
            return
        except smtplib.SMTPResponseException as exc:
            reply = smtp_reply(exc.smtp_code, exc.smtp_error)
            self._replied(claimed, exc, exc.smtp_code, reply)
            return
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(claimed, exc)
            self._unreachable(exc)
            raise ConnectionLost from exc
        # The window: the server has the email; until this commit, a crash sends it again.
        self.marks.mark(claimed)
        self._answered()
        metrics.EMAILS.labels("notifications", DeliveryStatus.SENT).inc()
        log.info(
            "sent %s",
            claimed.template,
            extra={"delivery_id": str(claimed.id), "correlation_id": claimed.correlation_id},
        )

    def _replied(self, claimed: Claimed, exc: BaseException, code: int, reply: str) -> None:
        """The server refused the email with `code`: failed for good on a 5xx, else tried
        again; a 421 also ends the session (the server hangs up) and says it is down."""
        permanent = domain.is_permanent_smtp_code(code)
        self._failed(claimed, exc, permanent=permanent, reply=reply)
        if permanent:
            self._answered()
        elif code == 421:
            self._unreachable(exc)
            raise ConnectionLost from exc
        else:
            self._refused(claimed)

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
        again after the next of RETRY_DELAYS_MS. A probe's email that was not due yet pays no
        try for a server that is down: it waits again as it did (ADR 0033)."""
        attempts = claimed.attempts + 1
        last_error = redact.emails(reply or describe(exc))[:300]
        values: dict[str, Any] = {"attempts": attempts, "last_error": last_error}
        if claimed.waiting_until is not None and not permanent:
            values.update(
                attempts=claimed.attempts,
                status=DeliveryStatus.PENDING,
                next_attempt_at=claimed.waiting_until,
            )
        elif permanent or attempts >= self.config.mail_max_attempts:
            values.update(
                status=DeliveryStatus.FAILED, next_attempt_at=datetime.now(UTC), rendered=None
            )
        else:
            delay = domain.retry_delay(attempts, self.config.retry_delays_ms)
            values.update(status=DeliveryStatus.PENDING, next_attempt_at=datetime.now(UTC) + delay)
        status = values["status"]
        self.store.record_failure(claimed, values)
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
        log.info("mailer started", extra={"links_lead_to": self.config.public_base_url})
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
                    # not be reached: a poll's pause (or less, to the next probe) before the
                    # next session, not a storm.
                    now = time.monotonic()
                    pause = self.config.mail_poll_seconds
                    to_probe = self.outage.seconds_to_next(now)  # 0 when up or a probe is due
                    if to_probe > 0:
                        pause = min(pause, to_probe)
                    self.wakeup.wait(pause, stopping)
        finally:
            self.close()
            self.wakeup.close()
        log.info("mailer stopped")
