"""sending claims, the delivery view's index, and unsubscribes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")
DUE = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    op.create_table(
        "unsubscribes",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", "category"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due", postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index(
            "ix_deliveries_due", ["next_attempt_at"], postgresql_where=DUE, sqlite_where=DUE
        )
        batch_op.create_index("ix_deliveries_to_address", ["to_address"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_to_address")
        batch_op.drop_index("ix_deliveries_due", postgresql_where=DUE, sqlite_where=DUE)
        batch_op.create_index(
            "ix_deliveries_due", ["next_attempt_at"], postgresql_where=PENDING, sqlite_where=PENDING
        )
    op.drop_table("unsubscribes")
