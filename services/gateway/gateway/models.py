"""The gateway's tables. It keeps no personal data of its own: a sign-up's details live only in
its outbox row until the relay has published them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sanctuary.messaging_models import OutboxMixin
from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Submission(Base):
    """A public write the gateway accepted (a volunteer sign-up, later a newcomer request...)."""

    __tablename__ = "submissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    accepted_at: Mapped[datetime]


class IdempotentResponse(Base):
    """The first answer given to an Idempotency-Key, replayed for every repeat of the request."""

    __tablename__ = "idempotent_responses"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)  # "POST /api/v1/volunteers"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON body
    status: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"
