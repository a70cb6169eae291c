"""The matching service's tables: its own metadata, never shared with another service."""

from __future__ import annotations

import uuid
from datetime import datetime

from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Volunteer(Base):
    """A person who signed up to befriend; coordinators work with them, so name and email stay."""

    __tablename__ = "volunteers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    postcode: Mapped[str] = mapped_column(String(8))
    languages: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    consented_at: Mapped[datetime]
    registered_at: Mapped[datetime]


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Inbox(InboxMixin, Base):
    __tablename__ = "inbox"
