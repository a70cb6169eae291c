"""The outbox and inbox tables, as mixins each service adds to its own metadata."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Index, String, Text, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class OutboxMixin:
    """Messages a service has decided to publish, written in the same transaction as the change."""

    if TYPE_CHECKING:  # the declarative base supplies the real keyword constructor

        def __init__(self, **columns: Any) -> None: ...

    __tablename__: str
    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    correlation_id: Mapped[str] = mapped_column(String(36))
    schema_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # NULL until the broker has confirmed the publish.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        # The relay only ever looks for unsent rows, oldest first: keep that index small.
        return (
            Index(
                "ix_outbox_unsent",
                "created_at",
                postgresql_where=text("sent_at IS NULL"),
                sqlite_where=text("sent_at IS NULL"),
            ),
        )


class InboxMixin:
    """Ids of messages already applied: a redelivered message finds its id here and is skipped."""

    if TYPE_CHECKING:  # the declarative base supplies the real keyword constructor

        def __init__(self, **columns: Any) -> None: ...

    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
