"""throttles in the database: sign-in failures by account and client, and rate-limit counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:10:00

ADR 0032: no restart of a web process forgets a sign-in slow-down or a rate limit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "client"),
    )
    op.create_index(
        "ix_sign_in_throttles_last_failure_at", "sign_in_throttles", ["last_failure_at"]
    )
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_rate_limit_counters_expires_at", "rate_limit_counters", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_counters_expires_at", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
    op.drop_index("ix_sign_in_throttles_last_failure_at", table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
