"""The trustees' log of safeguarding concerns (ADR 45): counts and times, never names."""

from __future__ import annotations

import uuid
from datetime import datetime

from sanctuary.db import as_utc
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.adapters.models import Concern
from gateway.domain import concerns as rules


def trustees_log(
    session: Session, start: datetime, end: datetime, groups: frozenset[uuid.UUID] | None
) -> dict[str, object]:
    """The names-free log of the concerns raised from `start` to `end`, for the network and
    each group (`groups`: the caller's; None: every one)."""
    query = select(Concern).where(Concern.raised_at >= start, Concern.raised_at < end)
    if groups is not None:
        query = query.where(Concern.group_id.in_(groups))
    logged = [
        rules.Logged(
            c.group_id,
            c.category,
            c.urgency,
            as_utc(c.raised_at),
            as_utc(c.acknowledged_at) if c.acknowledged_at else None,
            as_utc(c.closed_at) if c.closed_at else None,
        )
        for c in session.scalars(query)
    ]
    by_group: dict[uuid.UUID | None, list[rules.Logged]] = {}
    for entry in logged:
        by_group.setdefault(entry.group_id, []).append(entry)
    return {
        "all": rules.log_of(logged),
        "by_group": [
            {"group_id": str(g) if g else None, **rules.log_of(entries)}
            for g, entries in sorted(by_group.items(), key=lambda item: str(item[0]))
        ],
    }
