"""retention: each volunteer's last activity, and when their DBS outcome was recorded

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 23:00:00.000000

What the retention schedule counts from (sanctuary.retention, ADR 0028): a volunteer never
ready is erased a year after their last activity, a DBS outcome is purged six months after it
was recorded. Existing rows start from their registration, and a DBS outcome already held
from now.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('volunteers') as batch:
        batch.add_column(sa.Column('active_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('dbs_recorded_at', sa.DateTime(timezone=True), nullable=True))
    volunteers = sa.table(
        'volunteers',
        sa.column('active_at', sa.DateTime(timezone=True)),
        sa.column('registered_at', sa.DateTime(timezone=True)),
        sa.column('dbs', sa.String),
        sa.column('dbs_recorded_at', sa.DateTime(timezone=True)),
    )
    op.execute(volunteers.update().values(active_at=volunteers.c.registered_at))
    op.execute(
        volunteers.update()
        .where(volunteers.c.dbs == 'held')
        .values(dbs_recorded_at=sa.func.current_timestamp())
    )
    # active_at stays nullable in the schema: making it NOT NULL would make SQLite copy the
    # table, which the matches' foreign keys refuse. Every row has one from here on.


def downgrade() -> None:
    with op.batch_alter_table('volunteers') as batch:
        batch.drop_column('dbs_recorded_at')
        batch.drop_column('active_at')
