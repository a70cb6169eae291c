"""The `data_links` rows (ADR 0026): the address a link to one's own data was asked for,
kept only while the link lives. What an export shows of them, what an erasure deletes, and
what housekeeping prunes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sanctuary.erasure import aware
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.adapters.models import DataLink


def held(session: Session, email: str | None) -> list[dict[str, Any]]:
    """The links asked for this address that are still kept, as an export shows them."""
    if not email:
        return []
    rows = session.scalars(
        select(DataLink)
        .where(DataLink.email == email.strip().lower())
        .order_by(DataLink.created_at)
    )
    return [
        {
            "id": str(row.id),
            "email": row.email,
            "locale": row.locale,
            "created_at": aware(row.created_at).isoformat(),
            "expires_at": aware(row.expires_at).isoformat(),
        }
        for row in rows
    ]


def forget(session: Session, email: str | None) -> int:
    """Delete every link asked for this address (the link dies with the data): how many."""
    if not email:
        return 0
    gone = session.execute(delete(DataLink).where(DataLink.email == email.strip().lower()))
    return int(getattr(gone, "rowcount", 0) or 0)


def prune(session: Session, now: datetime) -> int:
    """Delete the links that have expired: the address is kept no longer than its link."""
    gone = session.execute(delete(DataLink).where(DataLink.expires_at <= now))
    return int(getattr(gone, "rowcount", 0) or 0)
