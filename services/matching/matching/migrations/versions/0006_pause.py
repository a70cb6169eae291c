"""pause: a volunteer or a newcomer who paused from their own data page

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 22:40:00.000000

Since when they paused (UK GDPR Art. 18): a paused volunteer is not proposed and a paused
newcomer's request waits, until they resume. ADR 0027.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('volunteers', 'newcomers'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ('volunteers', 'newcomers'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('paused_at')
