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
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sanctuary import metrics, redact
from sanctuary.db import SessionFactory
from sanctuary.failures import describe
from sqlalchemy import Connection, Integer, bindparam, null, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from notifications import domain
from notifications.adapters.mail import Rendered, SmtpTransport, compose, render_parts
from notifications.adapters.models import Delivery, Unsubscribe
from notifications.config import NotificationsConfig

log = logging.getLogger(__name__)
BATCH = 100  # emails a claim takes: one claim (a round trip and a commit) for up to 100
# A kept SMTP session carries batches while there is work, up to these, then a new one starts.
SESSION_EMAILS = 200
SESSION_SECONDS = 60.0


# Sent: the words are not kept once sent (the context stays, as the log).
MARK_SENT = (
    update(Delivery)
    .where(Delivery.id == bindparam("delivery_id"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        sent_at=bindparam("sent_at"),
        last_error=null(),
        rendered=null(),
    )
)


# A batch of due deliveries becomes `sending` until the claim runs out; the columns are
# Claimed's, then when the email was planned (a batch is sent oldest first).
CLAIM = (
    update(Delivery)
    .where(
        Delivery.id.in_(
            select(Delivery.id)
            .where(
                Delivery.status.in_((domain.PENDING, domain.SENDING)),
                Delivery.next_attempt_at <= bindparam("now"),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(bindparam("batch", type_=Integer))
            .with_for_update(skip_locked=True)
        )
    )
    .values(status=domain.SENDING, next_attempt_at=bindparam("until"))
    .returning(
        Delivery.id,
        Delivery.template,
        Delivery.to_address,
        Delivery.context,
        Delivery.attempts,
        Delivery.correlation_id,
        Delivery.rendered,
        Delivery.created_at,
    )
)


@dataclass(frozen=True)
class Claimed:
    """What sending one delivery needs, read while claiming it."""

    id: uuid.UUID
    template: str
    to_address: str
    context: dict[str, Any]
    attempts: int
    correlation_id: str
    rendered: dict[str, str] | None


class ConnectionLost(Exception):
    """The SMTP session is gone: the rest of the batch waits for a new one."""


class Mailer:
    """Sends due deliveries in batches; several mailers never take the same row."""

    def __init__(self, sessions: SessionFactory, config: NotificationsConfig) -> None:
        self.sessions = sessions
        self.config = config
        self.transport = SmtpTransport(config)
        self.engine = sessions.kw["bind"]
        self.envelope_from = parseaddr(config.mail_from)[1]
        # Kept from one batch to the next while there is work (`run`), closed when idle.
        self._smtp: smtplib.SMTP | None = None
        self._session_started, self._session_emails = 0.0, 0
        self._marks: Connection | None = None
        self._mark_cursor: Any = None  # on PostgreSQL, the driver's cursor on `_marks`
        self._mark_sql: str | None = None  # MARK_SENT compiled for PostgreSQL

    def send_due(self, stopping: threading.Event | None = None) -> int:
        """Send one batch of due deliveries on a session of its own; returns how many were
        tried. Once `stopping` is set, ends after the email in hand: the rest go back to
        pending for the next mailer."""
        try:
            return self._send_batch(stopping)
        finally:
            self.close()

    def _send_batch(self, stopping: threading.Event | None) -> int:
        """Claim and send one batch, on the SMTP session and marks connection kept from the
        batch before (opened if there is none); a lost session is dropped, not reused."""
        started = time.monotonic()
        batch = self._claim()
        if not batch:
            return 0
        if self._smtp is not None and not self._session_usable():
            self._close_smtp()  # a new session, before an email pays a try for the old one
        if self._smtp is None:
            try:
                self._smtp = self.transport.open()
            except (smtplib.SMTPException, OSError) as exc:
                for claimed in batch:
                    self._failed(claimed, exc)
                return len(batch)
            self._session_started, self._session_emails = time.monotonic(), 0
        self._session_emails += len(batch)
        done = 0
        try:
            if self._marks is None:
                self._marks = self._marks_connection()
            for claimed in batch:
                # Stop well inside the claim, so no other mailer takes an email we still send.
                late = time.monotonic() - started > self.config.mail_claim_seconds / 2
                if late or (stopping is not None and stopping.is_set()):
                    break
                done += 1
                self._send(self._smtp, claimed)
        except ConnectionLost:
            self._close_smtp()
        except BaseException:
            self.close()  # a database error: the marks connection may be broken too
            raise
        finally:
            self._release(batch[done:])
        return len(batch)

    def _session_usable(self) -> bool:
        """Whether the kept SMTP session may carry another batch: not too old nor too long (many
        servers end a session after so many messages or minutes, with a 421 an email would pay
        for), and still answering (NOOP: the server may have ended it when idle)."""
        assert self._smtp is not None
        young = time.monotonic() - self._session_started < SESSION_SECONDS
        return young and self._session_emails < SESSION_EMAILS and _still_open(self._smtp)

    def close(self) -> None:
        """End the SMTP session (QUIT) and give the marks connection back, if open."""
        self._close_smtp()
        self._drop_marks()

    def _drop_marks(self) -> None:
        if self._marks is not None:
            marks, self._marks, self._mark_cursor = self._marks, None, None
            _close_marks(marks)

    def _close_smtp(self) -> None:
        if self._smtp is None:
            return
        smtp, self._smtp = self._smtp, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            log.warning("SMTP server closed the session before QUIT")
            smtp.close()

    def _claim(self) -> list[Claimed]:
        """Mark a batch of due deliveries `sending` until the claim runs out, and commit: then
        no other mailer takes them, and a crash leaves them to the next one. One UPDATE …
        RETURNING (SKIP LOCKED: mailers take different rows); unsubscribed ones then become
        `suppressed` in the same transaction."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            rows = connection.execute(
                CLAIM,
                {
                    "now": now,
                    "until": now + timedelta(seconds=self.config.mail_claim_seconds),
                    "batch": BATCH,
                },
            ).all()
            batch = [Claimed(*row[:-1]) for row in sorted(rows, key=lambda row: row[-1])]
            suppressed = self._unsubscribed(connection, batch)
            if suppressed:
                connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(suppressed))
                    .values(status=domain.SUPPRESSED, rendered=null())
                )
                metrics.EMAILS.labels("notifications", "suppressed").inc(len(suppressed))
        return [claimed for claimed in batch if claimed.id not in suppressed]

    def _hash(self, address: str) -> str:
        return domain.address_hash(self.config.link_secret, address)

    def _unsubscribed(self, connection: Connection, batch: list[Claimed]) -> set[uuid.UUID]:
        """The ids of the batch's optional emails whose address unsubscribed from their
        category."""
        optional = {
            c.id: (self._hash(c.to_address), domain.OPTIONAL_CATEGORIES[c.template])
            for c in batch
            if c.template in domain.OPTIONAL_CATEGORIES
        }
        if not optional:
            return set()
        rows = connection.execute(
            select(Unsubscribe.address_hash, Unsubscribe.category).where(
                Unsubscribe.address_hash.in_({h for h, _ in optional.values()})
            )
        )
        unsubscribed = {(h, c) for h, c in rows}
        return {id_ for id_, key in optional.items() if key in unsubscribed}

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

    def _marks_connection(self) -> Connection:
        """A connection for the `sent` marks, kept while there is work and reset when given
        back. On PostgreSQL it is in autocommit, so a mark is one round trip, and does not wait
        for the disk: the mailer dying loses nothing committed; only the database server
        crashing may lose the last ~0.6 s of marks, and those emails go once more
        (docs/emails-delivery.md)."""
        connection = self.engine.connect()
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("SET synchronous_commit TO OFF")
            connection.commit()
        return connection

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
            reply = "; ".join(_reply(c, m) for c, m in exc.recipients.values())
            permanent = all(domain.is_permanent_smtp_code(code) for code in codes)
            self._failed(claimed, exc, permanent=permanent, reply=reply)
            if 421 in codes:  # the server closes the session after a 421
                raise ConnectionLost from exc
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
        self._mark_sent(claimed)
        metrics.EMAILS.labels("notifications", "sent").inc()
        log.info(
            "sent %s",
            claimed.template,
            extra={"delivery_id": str(claimed.id), "correlation_id": claimed.correlation_id},
        )

    def _mark_sent(self, claimed: Claimed) -> None:
        """Commit `sent` for `claimed` on the kept marks connection. That connection may have
        died since the last mark (a database restart, an idle timeout): the UPDATE is
        idempotent, so it is tried once more on a fresh, pre-pinged connection before the
        error stands (and the email stays `sending`, to go again when its claim runs out)."""
        values = {
            "delivery_id": claimed.id,
            "status": domain.SENT,
            "attempts": claimed.attempts + 1,
            "sent_at": datetime.now(UTC),
        }
        if self._marks is None:
            self._marks = self._marks_connection()
        try:
            self._mark(self._marks, values)
            return
        except (DBAPIError, self._marks.dialect.loaded_dbapi.Error):
            self._drop_marks()
            log.warning("the marks connection failed: marking again on a new one")
        # Through SQLAlchemy this time: an error that stands is one the mailer's loop knows.
        self._marks = self._marks_connection()
        self._marks.execute(MARK_SENT, values)
        self._marks.commit()

    def _mark(self, marks: Connection, values: dict[str, Any]) -> None:
        """One `sent` mark. On PostgreSQL through psycopg (3), the statement is compiled once
        and run on the driver's own cursor, prepared on the server, in autocommit: SQLAlchemy's
        work on each execution cost more CPU than the driver's. Other drivers go through
        SQLAlchemy (`prepare=` is psycopg's own)."""
        if (marks.dialect.name, marks.dialect.driver) != ("postgresql", "psycopg"):
            marks.execute(MARK_SENT, values)
            marks.commit()
            return
        if self._mark_cursor is None:
            self._mark_sql = str(MARK_SENT.compile(dialect=marks.dialect))
            self._mark_cursor = marks.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._mark_cursor.execute(self._mark_sql, values, prepare=True)

    def _message(self, claimed: Claimed) -> bytes:
        """The email's bytes: the worker's rendering with the secret links put in (or, for a
        row planned before the worker rendered, rendered now), in MIME."""
        links = domain.secret_links(
            claimed.template,
            claimed.context,
            claimed.to_address,
            secret=self.config.link_secret,
            base_url=self.config.public_base_url,
        )
        if claimed.rendered is not None:
            marks = domain.link_marks(claimed.id, claimed.template, claimed.context)
            parts = Rendered.from_json(claimed.rendered).replace(
                {mark: links[name] for name, mark in marks.items()}
            )
        else:
            parts = render_parts(claimed.template, {**claimed.context, **links})
        headers = {}
        if "unsubscribe_url" in links:
            # RFC 8058: mail clients offer one click, which POSTs to this address.
            headers["List-Unsubscribe"] = f"<{links['unsubscribe_url']}>"
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
            values.update(status=domain.FAILED, next_attempt_at=datetime.now(UTC), rendered=None)
        else:
            delay = domain.retry_delay(attempts, self.config.retry_delays_ms)
            values.update(status=domain.PENDING, next_attempt_at=datetime.now(UTC) + delay)
        status = values["status"]
        with self.sessions.begin() as session:
            session.execute(update(Delivery).where(Delivery.id == claimed.id).values(**values))
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
        """Send until `stopping` is set; sleeps only when nothing was due (emails planned while a
        batch went out go next, not a poll later) or the SMTP session was lost. The SMTP
        session and the marks connection last while there is work (connection reuse)."""
        log.info("mailer started")
        try:
            while not stopping.is_set():
                try:
                    tried = self._send_batch(stopping)
                except SQLAlchemyError as exc:
                    log.warning(
                        "mailer cannot reach its database, retrying in 1 s: %s", describe(exc)
                    )
                    self.close()  # connections from before the outage are not reused
                    stopping.wait(1.0)
                    continue
                if tried == 0:
                    self.close()  # nothing due: no session held open while idle
                if tried == 0 or self._smtp is None:
                    # Nothing due; or the server ended the session (a 421, a drop) or could
                    # not be reached: a poll's pause before the next session, not a storm.
                    stopping.wait(self.config.mail_poll_seconds)
        finally:
            self.close()
        log.info("mailer stopped")


def _still_open(smtp: smtplib.SMTP) -> bool:
    """Whether a kept SMTP session still answers (NOOP: one round trip a batch)."""
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close_marks(connection: Connection) -> None:
    """Give the marks' connection back to the pool as it was lent."""
    try:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("RESET synchronous_commit")
    except SQLAlchemyError:
        connection.invalidate()  # never back to the pool with our setting
    connection.close()


def _reply(code: int, message: bytes | str) -> str:
    """An SMTP reply as the server gave it: "451 4.3.0 Try again later"."""
    text = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"
