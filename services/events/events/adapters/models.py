"""The events service's tables: its own metadata, never shared with another service."""

from __future__ import annotations

import uuid
from datetime import datetime

from sanctuary.erasure import ErasureLogMixin, TombstoneMixin
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.tallies import TallyMixin
from sqlalchemy import JSON, DateTime, Index, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

OPEN_WITH_ADDRESS = "status IN ('confirmed', 'waitlisted') AND email <> ''"


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Event(Base):
    """A webinar, a training session or a social: what coordinators schedule."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # The title and description in the pages' other languages: {"ar": {"title": ...,
    # "description": ...}, "uk": ...}; a language without one reads the English.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    kind: Mapped[str] = mapped_column(String(10))  # webinar, training, social
    topic: Mapped[str | None] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(60))
    capacity: Mapped[int]
    # How many registrations hold a place (status confirmed): kept with every change of a
    # place, under the event's lock (events.service_layer.registrations.take_place / free_place).
    confirmed: Mapped[int] = mapped_column(default=0, server_default="0")
    online_url: Mapped[str | None] = mapped_column(String(500))  # for confirmed people only
    location: Mapped[str | None] = mapped_column(String(300))
    registration_closes_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10))  # published, cancelled
    # Raised at every change, so calendar invites update instead of piling up (iCalendar).
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    # The local group that runs it; None: a national event, open to every group's people.
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class Registration(Base):
    """One person's place (or queue position) at one event."""

    __tablename__ = "registrations"
    __table_args__ = (
        # One open registration per person and event, enforced by the database too. A place
        # whose address was blanked (retention, after the event) is nobody's: outside it.
        Index(
            "uq_open_registration_per_email",
            "event_id",
            "email",
            unique=True,
            postgresql_where=text(OPEN_WITH_ADDRESS),
            sqlite_where=text(OPEN_WITH_ADDRESS),
        ),
        Index("ix_registrations_queue", "event_id", "status", "queued_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # No foreign key: a request for an unknown event is recorded too, rejected with the reason.
    event_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased: one person, one place
    volunteer_id: Mapped[uuid.UUID | None]
    newcomer_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(12))  # confirmed, waitlisted, cancelled, rejected
    reason: Mapped[str | None] = mapped_column(String(30))
    existing_registration_id: Mapped[uuid.UUID | None]
    # A duplicate's answer to whoever asked: confirmed or waitlisted, as a new request would
    # have been (ADR 31). None for every other registration.
    shown_as: Mapped[str | None] = mapped_column(String(12), default=None)
    # The waiting list's order: when the request was decided (then the id, for ties).
    queued_at: Mapped[datetime]
    decided_at: Mapped[datetime]
    attended_at: Mapped[datetime | None] = mapped_column(default=None)
    # The registrant's local group (named, or their postcode's; else the event's): its contact
    # signs their emails. None: a national event's registrant with no group, the network's.
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class ReminderSent(Base):
    """A reminder announced: one per registration, reminder and start time. A moved event has
    a new start time, so it reminds again at the new time; nothing reminds twice."""

    __tablename__ = "reminders_sent"

    registration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    reminder: Mapped[str] = mapped_column(String(4), primary_key=True)  # day, hour
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Inbox(InboxMixin, Base):
    __tablename__ = "inbox"


class Tombstone(TombstoneMixin, Base):
    __tablename__ = "tombstones"


class ErasureLog(ErasureLogMixin, Base):
    __tablename__ = "erasures"


class Tally(TallyMixin, Base):
    """Anonymous counts for the impact report (ADR 42): decisions, promotions, cancellations
    and attendance, by day, the registrant's group and the event's kind."""

    __tablename__ = "tallies"
