"""concerns: safeguarding concerns and their case files, each group's lead and deputy, the network's lead (ADR 45)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coordinators") as batch:
        batch.add_column(
            sa.Column("safeguarding_lead", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("groups") as batch:
        for role in ("lead", "deputy"):
            batch.add_column(sa.Column(f"safeguarding_{role}_id", sa.Uuid(), nullable=True))
            batch.create_foreign_key(
                f"fk_groups_safeguarding_{role}", "coordinators", [f"safeguarding_{role}_id"], ["id"]
            )
    op.create_table(
        "concerns",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("group_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("about", sa.String(10), nullable=False),
        sa.Column("about_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("details", sa.String(4000), nullable=False),
        sa.Column("reporter_contact", sa.String(254), nullable=True),
        sa.Column("raised_by", sa.Uuid(), sa.ForeignKey("coordinators.id"), nullable=True),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(2000), nullable=True),
        sa.Column("closure_reason", sa.String(300), nullable=True),
    )
    op.create_table(
        "concern_entries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("concern_id", sa.Uuid(), sa.ForeignKey("concerns.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("body", sa.String(2000), nullable=False),
        sa.Column("referred_to", sa.String(200), nullable=True),
        sa.Column("written_by", sa.Uuid(), sa.ForeignKey("coordinators.id"), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("concern_entries")
    op.drop_table("concerns")
    with op.batch_alter_table("groups") as batch:
        for role in ("deputy", "lead"):
            batch.drop_constraint(f"fk_groups_safeguarding_{role}", type_="foreignkey")
            batch.drop_column(f"safeguarding_{role}_id")
    with op.batch_alter_table("coordinators") as batch:
        batch.drop_column("safeguarding_lead")
