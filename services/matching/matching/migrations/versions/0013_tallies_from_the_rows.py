"""tallies from the rows: what happened before matching tallied, and where each row stands (ADR 42, 43)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 15:00:00

The stocks (now:<status>) of every volunteer, newcomer and match, on the day of the
migration: from here on, each move is tallied as it happens. The flows dated before the
first tallied day, as the rows tell them: sign-ups and requests when they were made;
proposals, approvals with the days waited, rejections and endings when they were decided
(an ending as `withdrawn` or `other`: its word was not asked then); a pair that met when
the meeting was recorded, if it is still active; check-ins when they fell due. Readiness
before then is not known: no date was kept. Counts only: no id, no name.
"""

from __future__ import annotations

from datetime import timedelta

from alembic import op
from sanctuary.migrations import Backfill
from sqlalchemy import text

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHECKINS = {"two_weeks": timedelta(days=14), "three_months": timedelta(days=91)}


def upgrade() -> None:
    bind, tally = op.get_bind(), Backfill()
    for group, status, registered_at in bind.execute(
        text("SELECT group_id, status, registered_at FROM volunteers")
    ):
        tally.flow(registered_at, group, "volunteer", "signed_up")
        tally.stock(group, "volunteer", status)
    asked = {}
    for newcomer, group, status, registered_at in bind.execute(
        text("SELECT id, group_id, status, registered_at FROM newcomers")
    ):
        asked[str(newcomer)] = registered_at
        tally.flow(registered_at, group, "newcomer", "requested")
        tally.stock(group, "newcomer", status)
    for row in bind.execute(
        text(
            "SELECT newcomer_id, group_id, status, reason, proposed_at, approved_at, "
            "decided_at, checkins_sent FROM matches"
        )
    ):
        newcomer, group, status, reason, proposed_at, approved_at, decided_at, checkins = row
        tally.stock(group, "match", status)
        tally.flow(proposed_at, group, "match", "proposed")
        if approved_at is not None:
            tally.flow(approved_at, group, "match", "approved")
            waited = (tally.day(approved_at) - tally.day(asked[str(newcomer)])).days
            tally.flow(approved_at, group, "newcomer", f"matched_after:{max(waited, 0)}")
            for checkin in _listed(checkins):
                if checkin in CHECKINS:
                    due = tally.moment(approved_at) + CHECKINS[checkin]
                    tally.flow(due, group, "match", "checkin_sent")
        if status == "rejected":
            tally.flow(decided_at, group, "match", "rejected")
        if status == "active":
            tally.flow(decided_at, group, "match", "activated")
        if status == "ended":
            ending = "withdrawn" if reason == "withdrawn" else "other"
            tally.flow(decided_at, group, "match", f"ended:{ending}")
    tally.write()


def downgrade() -> None:
    op.execute("DELETE FROM tallies")


def _listed(value: object) -> list[str]:
    """A JSON list as either driver gives it (PostgreSQL: a list; SQLite: its text)."""
    if isinstance(value, str):
        import json

        return list(json.loads(value))
    return list(value or [])
