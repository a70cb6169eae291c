"""local groups: the group of each event and registration

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 22:30:00

Every event and registration stored before groups existed belongs to the default group
(sanctuary.contracts.groups.DEFAULT_GROUP_ID, written out here: a migration must not change
when the code does). New national events have no group (NULL).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DEFAULT_GROUP_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
TABLES = ("events", "registrations")


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("group_id", sa.Uuid(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{name}_group_id"), ["group_id"], unique=False)
        # Through the table's Uuid type, so each dialect stores the id its own way (SQLite:
        # 32 hex digits, PostgreSQL: uuid).
        table = sa.table(name, sa.column("group_id", sa.Uuid()))
        op.execute(table.update().values(group_id=DEFAULT_GROUP_ID))


def downgrade() -> None:
    for name in reversed(TABLES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_group_id"))
            batch_op.drop_column("group_id")
