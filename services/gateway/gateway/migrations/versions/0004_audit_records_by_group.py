"""the group of what each audit record is about

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("group_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_audit_records_group_id", ["group_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_index("ix_audit_records_group_id")
        batch.drop_column("group_id")
