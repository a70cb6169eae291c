"""erasure: tombstones and the erasure log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 10:00:00.000000

An erased person's keys (ids and address hashes), so nothing about them comes back, and each
erasure applied (hashes, ids, times and counts). ADR 0025.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tombstones',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erasure_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('erasures',
    sa.Column('erasure_id', sa.String(length=36), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('ids', sa.JSON(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('kept', sa.JSON(), nullable=False),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('erasure_id')
    )


def downgrade() -> None:
    op.drop_table('erasures')
    op.drop_table('tombstones')
