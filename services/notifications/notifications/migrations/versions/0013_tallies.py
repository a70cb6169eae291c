"""anonymous tallies for the impact report (ADR 42)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

from alembic import op
from sanctuary.migrations import create_tallies

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tallies()


def downgrade() -> None:
    op.drop_table("tallies")
