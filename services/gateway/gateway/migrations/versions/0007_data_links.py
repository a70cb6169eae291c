"""data links: a person's own way to their data (/my-data, ADR 0026)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_data_links_email", "data_links", ["email"], unique=False)
    op.create_index("ix_data_links_expires_at", "data_links", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_data_links_expires_at", table_name="data_links")
    op.drop_index("ix_data_links_email", table_name="data_links")
    op.drop_table("data_links")
