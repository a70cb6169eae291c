"""The deliveries table as the mailer uses it: claims, releases, failures and `sent` marks,
each in as few round trips as it can (ADR 0021)."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sanctuary import metrics, tallies
from sanctuary.db import as_utc
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import Connection, Engine, Integer, and_, bindparam, null, or_, select, update

from notifications import domain
from notifications.adapters.models import Delivery, Tally, Unsubscribe
from notifications.config import NotificationsConfig
from notifications.domain import links

log = logging.getLogger(__name__)
BATCH = 100  # emails a claim takes: one claim (a round trip and a commit) for up to 100


CLAIMED_COLUMNS = (
    Delivery.id,
    Delivery.template,
    Delivery.to_address,
    Delivery.context,
    Delivery.attempts,
    Delivery.correlation_id,
    Delivery.rendered,
    Delivery.group_id,
)

# A batch of due deliveries becomes `sending` until the claim runs out; the columns are
# Claimed's, then when the email was planned (a batch is sent oldest first).
CLAIM = (
    update(Delivery)
    .where(
        Delivery.id.in_(
            select(Delivery.id)
            .where(
                Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
                Delivery.next_attempt_at <= bindparam("now"),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(bindparam("batch", type_=Integer))
            .with_for_update(skip_locked=True)
        )
    )
    .values(status=DeliveryStatus.SENDING, next_attempt_at=bindparam("until"))
    .returning(*CLAIMED_COLUMNS, Delivery.created_at)
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
    group_id: uuid.UUID | None  # the group that signed it: where the impact report counts it
    # Set for a probe's email claimed before its own retry was due (the server is down): a
    # failed try is not its fault and costs it nothing; it goes back to wait until then.
    waiting_until: datetime | None = None


class DeliveryStore:
    """The mailer's claims, renewals, releases and failures on the deliveries table (the
    `sent` marks are `marks.SentMarks`)."""

    def __init__(self, engine: Engine, config: NotificationsConfig) -> None:
        self.engine = engine
        self.config = config

    def claim(self) -> list[Claimed]:
        """Mark a batch of due deliveries `sending` until the claim runs out, and commit: then
        no other mailer takes them, and a crash leaves them to the next one. One UPDATE …
        RETURNING (SKIP LOCKED: mailers take different rows); unsubscribed ones then become
        `suppressed` in the same transaction."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            rows = connection.execute(
                CLAIM, {"now": now, "until": self._lease_end(now), "batch": BATCH}
            ).all()
            batch = [Claimed(*row[:-1]) for row in sorted(rows, key=lambda row: row[-1])]
            return self._without_unsubscribed(connection, batch)

    def claim_probe(self) -> list[Claimed]:
        """Claim the one pending email next in line, due or not, to see whether the SMTP server
        is back (ADR 0033): while it is down, the emails waiting for a retry are not due, and
        the outage's end must not wait for them. Never one another mailer holds."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            row = connection.execute(
                select(Delivery.id, Delivery.next_attempt_at)
                .where(
                    or_(
                        Delivery.status == DeliveryStatus.PENDING,
                        and_(
                            Delivery.status == DeliveryStatus.SENDING,
                            Delivery.next_attempt_at <= now,
                        ),
                    )
                )
                .order_by(Delivery.next_attempt_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return []
            delivery_id, due_at = row
            [claimed] = connection.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status=DeliveryStatus.SENDING, next_attempt_at=self._lease_end(now))
                .returning(*CLAIMED_COLUMNS)
            ).all()
            waiting = as_utc(due_at) if as_utc(due_at) > now else None
            return self._without_unsubscribed(
                connection, [Claimed(*claimed, waiting_until=waiting)]
            )

    def _lease_end(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.config.mail_claim_seconds)

    def renew(self, claimed: list[Claimed]) -> None:
        """Lengthen the claim on emails still in hand, so a mailer that lives keeps them and
        one that died lets them go within MAIL_CLAIM_SECONDS (30 s)."""
        if not claimed:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_([c.id for c in claimed]),
                    Delivery.status == DeliveryStatus.SENDING,
                )
                .values(next_attempt_at=self._lease_end(datetime.now(UTC)))
            )

    def retries_due_now(self) -> int:
        """Make every email waiting for a retry due now: the server they waited for is back
        (ADR 0033). Returns how many."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            return connection.execute(
                update(Delivery)
                .where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.attempts > 0,
                    Delivery.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
            ).rowcount

    def _without_unsubscribed(self, connection: Connection, batch: list[Claimed]) -> list[Claimed]:
        """The batch less its optional emails to addresses unsubscribed from their category,
        which become `suppressed` in the claim's transaction."""
        suppressed = self._unsubscribed(connection, batch)
        if suppressed:
            connection.execute(
                update(Delivery)
                .where(Delivery.id.in_(suppressed))
                .values(status=DeliveryStatus.SUPPRESSED, rendered=null())
            )
            counted = (c for c in batch if c.id in suppressed)
            tallies.write(connection, Tally, counts(counted, DeliveryStatus.SUPPRESSED))
            metrics.EMAILS.labels("notifications", DeliveryStatus.SUPPRESSED).inc(len(suppressed))
        return [claimed for claimed in batch if claimed.id not in suppressed]

    def _unsubscribed(self, connection: Connection, batch: list[Claimed]) -> set[uuid.UUID]:
        """The ids of the batch's optional emails whose address unsubscribed from their
        category."""
        optional = {
            c.id: (
                links.address_hash(self.config.link_secret, c.to_address),
                domain.OPTIONAL_CATEGORIES[c.template],
            )
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

    def release(self, claimed: list[Claimed]) -> None:
        """Give back emails claimed and not tried: due now, for the next batch or mailer (a
        probe's email that was not due yet waits again until it is)."""
        if not claimed:
            return
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            for due_at in {c.waiting_until or now for c in claimed}:
                ids = [c.id for c in claimed if (c.waiting_until or now) == due_at]
                connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
                    .values(status=DeliveryStatus.PENDING, next_attempt_at=due_at)
                )

    def record_failure(self, claimed: Claimed, values: dict[str, Any]) -> None:
        """Write a failed try's outcome (status, attempts, when next, the reply), unless the
        email is no longer `sending` (its reader was erased meanwhile: it stays `erased`); one
        given up is counted for the impact report with it."""
        with self.engine.begin() as connection:
            written = connection.execute(
                update(Delivery)
                .where(Delivery.id == claimed.id, Delivery.status == DeliveryStatus.SENDING)
                .values(**values)
            )
            if written.rowcount and values["status"] == DeliveryStatus.FAILED:
                tallies.write(connection, Tally, counts([claimed], DeliveryStatus.FAILED))


def counts(emails: Iterable[Claimed], status: DeliveryStatus) -> Counter[tallies.Key]:
    """The impact report's counts of `emails` that became `status` now (ADR 42): by the group
    that signed each and its template."""
    now = datetime.now(UTC)
    return Counter(tallies.key(now, c.group_id, c.template, status) for c in emails)
