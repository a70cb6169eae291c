"""The notifications service's tables: the delivery log, the messaging tables, and what an
erasure leaves (tombstones and the erasure log, ADR 0025)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sanctuary.erasure import ErasureLogMixin, TombstoneMixin
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.tallies import TallyMixin
from sanctuary.vocabulary import DEFAULT_LOCALE
from sqlalchemy import JSON, DateTime, Index, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Delivery(Base):
    """One email to one person: written by a handler, sent by the mailer, kept as the log."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        # The coordinators' delivery view looks one address up.
        Index("ix_deliveries_to_address", "to_address"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # One email per purpose and person ("volunteer_welcome:<id>"), however often the news comes.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(60))
    to_address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Subject, text and HTML as the worker rendered them (mail.Rendered), secret links still
    # marks; cleared once the email is sent or given up. None for rows planned before 0007.
    rendered: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))
    # pending, sending (claimed by a mailer until next_attempt_at), sent, failed, suppressed
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(300))  # the last SMTP reply
    correlation_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The group that signed it: coordinators see their own groups' emails only.
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class EventCopy(Base):
    """What the emails need to know about an event, kept from event.scheduled/updated."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The title in the other languages ({"ar": ..., "uk": ...}): each reader's, if given.
    titles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    kind: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(60))
    online_url: Mapped[str | None] = mapped_column(String(500))
    location: Mapped[str | None] = mapped_column(String(300))
    sequence: Mapped[int]
    # The group that runs it; None: a national event.
    group_id: Mapped[uuid.UUID | None]


class Registrant(Base):
    """Who holds a place (or waits) at an event, kept from the registration facts, so that
    changes and cancellations of the event reach them."""

    __tablename__ = "registrants"

    registration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(12))  # confirmed, waitlisted, cancelled
    # The language of their emails (en, ar, uk), from the first fact that says it.
    locale: Mapped[str] = mapped_column(
        String(10), default=DEFAULT_LOCALE, server_default=DEFAULT_LOCALE
    )
    # The group whose contact signs their emails; None: the network's.
    group_id: Mapped[uuid.UUID | None]


class Person(Base):
    """A volunteer's or newcomer's name and where to write, kept from volunteer.registered and
    newcomer.requested for the emails about their match."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # volunteer, newcomer
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    # The language of their emails (en, ar, uk), as they chose it on the form.
    locale: Mapped[str] = mapped_column(
        String(10), default=DEFAULT_LOCALE, server_default=DEFAULT_LOCALE
    )
    # Their local group; None while no group covers their postcode (the network's list).
    group_id: Mapped[uuid.UUID | None]


class GroupCopy(Base):
    """What the emails need of a local group, kept from group.created/updated: its name
    signs them and its contact is named in them and is their Reply-To."""

    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(254))
    # The network's own group: it signs the emails of people with no local group yet.
    network: Mapped[bool]
    sequence: Mapped[int]


class Unsubscribe(Base):
    """An address that asked for no more emails of one optional category (RFC 8058). The
    address is kept as a keyed hash (`links.address_hash`), never in the clear."""

    __tablename__ = "unsubscribes"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime]


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Inbox(InboxMixin, Base):
    __tablename__ = "inbox"


class Tombstone(TombstoneMixin, Base):
    __tablename__ = "tombstones"


class ErasureLog(ErasureLogMixin, Base):
    __tablename__ = "erasures"


class Tally(TallyMixin, Base):
    """Anonymous counts for the impact report (ADR 42): emails sent, failed and suppressed,
    by day, the group that signed them and their template."""

    __tablename__ = "tallies"
