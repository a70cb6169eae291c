"""wake on commit: inserts into outbox and deliveries wake the relay and the mailer at once (ADR 0034)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:30:00

On PostgreSQL a statement trigger notifies the table's channel when the inserting transaction
commits; the relay and the mailer LISTEN instead of waiting for their next poll. Nothing on SQLite.
"""

from __future__ import annotations

from sanctuary.migrations import no_wake_on_insert, wake_on_insert

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("outbox", "deliveries",)


def upgrade() -> None:
    wake_on_insert(*TABLES)


def downgrade() -> None:
    no_wake_on_insert(*TABLES)
