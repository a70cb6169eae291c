"""local groups, their areas, and which coordinators belong to which

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 22:00:00

The default group itself is seeded by `python -m gateway migrate` after this, from the
DEFAULT_GROUP_* settings (and announced): a migration knows no settings and publishes nothing.
Coordinators who exist already saw every person before groups existed: they become network
admins, so that nobody loses sight of the people they work with (ADR 0024).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("network", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "group_areas",
        sa.Column("area", sa.String(length=4), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"]),
        sa.PrimaryKeyConstraint("area"),
    )
    op.create_index("ix_group_areas_group_id", "group_areas", ["group_id"])
    op.create_table(
        "coordinator_groups",
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinators.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"]),
        sa.PrimaryKeyConstraint("coordinator_id", "group_id"),
    )
    with op.batch_alter_table("coordinators") as batch:
        batch.add_column(
            sa.Column("network_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE coordinators SET network_admin = true")


def downgrade() -> None:
    with op.batch_alter_table("coordinators") as batch:
        batch.drop_column("network_admin")
    op.drop_table("coordinator_groups")
    op.drop_index("ix_group_areas_group_id", table_name="group_areas")
    op.drop_table("group_areas")
    op.drop_table("groups")
