"""confirmed counter: each event keeps how many people hold a place

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:30:00

Every decision read the count of confirmed registrations under the event's lock; with a
waiting list of hundreds that count ran once a decision. The event row now carries it, kept
in the same transaction as every change of a place (events.service_layer.registrations), and
is filled here from the registrations as they stand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "events", sa.Column("confirmed", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE events SET confirmed = (SELECT count(*) FROM registrations r "
        "WHERE r.event_id = events.id AND r.status = 'confirmed')"
    )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("confirmed")
