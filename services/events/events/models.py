"""The events service's tables: its own metadata, never shared with another service.

Events, registrations and waiting lists arrive with the events issue; the messaging tables are
here from the start so the worker and relay run like every other service's.
"""

from __future__ import annotations

from datetime import datetime

from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Inbox(InboxMixin, Base):
    __tablename__ = "inbox"
