"""tallies from the rows: what happened before events tallied (ADR 42, 43)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:00:00

Only what is dated before the first tallied day, as the rows stand: each event not
cancelled, held on its day with its places; each registration as it stands now (confirmed
or waiting) on the day it was made, its place taken on the event's day if it holds one,
and who came. A registration that moved (a place given up, a promotion) counts where it
ended. Counts only: no id, no name.
"""

from __future__ import annotations

from alembic import op
from sanctuary.migrations import Backfill
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind, tally = op.get_bind(), Backfill()
    events = {}
    for event, group, kind, status, starts_at, capacity in bind.execute(
        text("SELECT id, group_id, kind, status, starts_at, capacity FROM events")
    ):
        events[Backfill.group(event)] = (kind, starts_at)
        if status != "cancelled":
            tally.flow(starts_at, group, kind, "held")
            tally.flow(starts_at, group, kind, "places", capacity)
    for event, group, status, queued_at, attended_at in bind.execute(
        text("SELECT event_id, group_id, status, queued_at, attended_at FROM registrations")
    ):
        kind, starts_at = events.get(Backfill.group(event), (None, None))
        if kind is None or status not in ("confirmed", "waitlisted"):
            continue
        tally.flow(queued_at, group, kind, status)
        if status == "confirmed":
            tally.flow(starts_at, group, kind, "taken")
            if attended_at is not None:
                tally.flow(starts_at, group, kind, "attended")
    tally.write()


def downgrade() -> None:
    op.execute("DELETE FROM tallies")
