"""a newcomer's phone number, and when a coordinator last called them (ADR 0039)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("newcomers") as batch:
        batch.add_column(sa.Column("phone", sa.String(16), nullable=True))
        batch.add_column(sa.Column("called_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("newcomers") as batch:
        batch.drop_column("called_at")
        batch.drop_column("phone")
