"""duplicates answered as new: what a duplicate registration shows whoever asked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:20:00.000000

A request for a place by an address that already holds one is rejected, but its status read
answers as a new request would have been (ADR 0031): `shown_as` keeps that answer. Existing
duplicates were decided before: they keep none, and their status read shows them received.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registrations') as batch:
        batch.add_column(sa.Column('shown_as', sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registrations') as batch:
        batch.drop_column('shown_as')
