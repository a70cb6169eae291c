"""retention: a place whose address was blanked is outside the one-place-per-address index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 23:10:00.000000

Six months after an event its places lose their name and address (sanctuary.retention,
ADR 0028) but keep their status and attendance for the counts: two confirmed places with a
blank address must not clash.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD = "status IN ('confirmed', 'waitlisted')"
NEW = "status IN ('confirmed', 'waitlisted') AND email <> ''"


def _index(where: str) -> None:
    op.drop_index('uq_open_registration_per_email', table_name='registrations')
    op.create_index(
        'uq_open_registration_per_email',
        'registrations',
        ['event_id', 'email'],
        unique=True,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    _index(NEW)


def downgrade() -> None:
    _index(OLD)
