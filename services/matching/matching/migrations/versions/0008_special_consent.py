"""special consent: when a person agreed to the use of their languages, gender and needs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:30:00.000000

The separate consent for special-category data (ADR 0029): its time and the version of its
words, on volunteers and newcomers. Rows from before it keep what they were given under the
one consent the forms asked then, and no stamp.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('volunteers', 'newcomers'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column('special_consent_at', sa.DateTime(timezone=True), nullable=True)
            )
            batch.add_column(
                sa.Column('special_consent_version', sa.String(length=40), nullable=True)
            )


def downgrade() -> None:
    for table in ('volunteers', 'newcomers'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('special_consent_version')
            batch.drop_column('special_consent_at')
