"""why each waiting newcomer stayed unmatched in the last run: the coordinators' newcomers list

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("newcomers") as batch:
        batch.add_column(sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("unmatched", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("newcomers") as batch:
        batch.drop_column("unmatched")
        batch.drop_column("last_run_at")
