"""checks run out: when safeguarding training was completed, and the reminders sent before a dated check runs out (ADR 44)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:20:00

Training completed before this revision has no date: it is dated on the day of the upgrade,
so it runs out TRAINING_VALID_DAYS later at the latest.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("volunteers") as batch:
        batch.add_column(sa.Column("training_completed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("checks_reminded", sa.JSON(), nullable=False, server_default="[]"))
    volunteers = sa.table(
        "volunteers",
        sa.column("training", sa.String()),
        sa.column("training_completed_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        volunteers.update()
        .where(volunteers.c.training == "completed")
        .values(training_completed_at=datetime.now(UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("volunteers") as batch:
        batch.drop_column("checks_reminded")
        batch.drop_column("training_completed_at")
