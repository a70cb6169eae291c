"""the group that signed each email, for coordinators' view of their own groups' emails

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DEFAULT_GROUP_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("group_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_deliveries_group_id", ["group_id"])
    deliveries = sa.table("deliveries", sa.column("group_id", sa.Uuid()))
    op.execute(deliveries.update().values(group_id=DEFAULT_GROUP_ID))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_group_id")
        batch.drop_column("group_id")
