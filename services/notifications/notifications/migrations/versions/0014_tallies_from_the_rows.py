"""tallies from the rows: the emails sent, given up and suppressed before notifications tallied (ADR 42, 43)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:00:00

Only what is dated before the first tallied day: each email sent, on the day it was sent;
each given up or suppressed, on the day it was last tried or planned. Counts by template
and group only: no address, no name.
"""

from __future__ import annotations

from alembic import op
from sanctuary.migrations import Backfill
from sqlalchemy import text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind, tally = op.get_bind(), Backfill()
    for template, group, status, sent_at, tried_at, created_at in bind.execute(
        text(
            "SELECT template, group_id, status, sent_at, next_attempt_at, created_at "
            "FROM deliveries WHERE status IN ('sent', 'failed', 'suppressed')"
        )
    ):
        when = {"sent": sent_at, "failed": tried_at, "suppressed": created_at}[status]
        tally.flow(when, group, template, status)
    tally.write()


def downgrade() -> None:
    op.execute("DELETE FROM tallies")
