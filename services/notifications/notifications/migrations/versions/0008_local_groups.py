"""local groups: copies of their names and contacts, and the group of each person, registrant
and event

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:30:00

Rows stored before groups existed belong to the default group, whose id every service knows
(sanctuary.contracts.DEFAULT_GROUP_ID, written out here: a migration never changes). Its name
and contact arrive with the group.created that the gateway's `migrate` announces.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DEFAULT_GROUP_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
TABLES = ("people", "registrants", "events")


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("network", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("group_id", sa.Uuid(), nullable=True))
        table = sa.table(name, sa.column("group_id", sa.Uuid()))
        op.execute(table.update().values(group_id=DEFAULT_GROUP_ID))


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("group_id")
    op.drop_table("groups")
