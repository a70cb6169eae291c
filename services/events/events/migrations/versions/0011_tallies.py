"""anonymous tallies for the impact report (ADR 42)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tallies",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("group_key", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("measure", sa.String(60), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tallies")
