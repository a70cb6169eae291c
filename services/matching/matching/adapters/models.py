"""The matching service's tables: its own metadata, never shared with another service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary import tallies
from sanctuary.erasure import ErasureLogMixin, TombstoneMixin
from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sanctuary.tallies import TallyMixin
from sanctuary.vocabulary import DATED, Check, CheckOutcome, MatchingKind
from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Volunteer(Base):
    """A person who signed up to befriend; coordinators work with them, so name and email stay."""

    __tablename__ = "volunteers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    postcode: Mapped[str] = mapped_column(String(8))
    district: Mapped[str] = mapped_column(String(4), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON)
    availability: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    gender: Mapped[str | None] = mapped_column(String(20))
    same_gender_only: Mapped[bool] = mapped_column(default=False)
    max_matches: Mapped[int] = mapped_column(default=1)
    # The coordinator's checks (docs/matching.md): all three must pass before a first match.
    references: Mapped[str] = mapped_column(String(10), default=CheckOutcome.PENDING)
    screening: Mapped[str] = mapped_column(String(10), default=CheckOutcome.PENDING)
    training: Mapped[str] = mapped_column(String(10), default=CheckOutcome.PENDING)
    # Criminal-offence data: the outcome only, never the certificate; and when it was
    # recorded (both purged after RETAIN_DBS_DAYS: sanctuary.retention).
    dbs: Mapped[str] = mapped_column(String(10), default=CheckOutcome.NONE)
    dbs_recorded_at: Mapped[datetime | None] = mapped_column(default=None)
    # When safeguarding training was last completed: it runs out too (ADR 44).
    training_completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The reminders sent before a dated check runs out ("dbs:60"), forgotten on renewal.
    checks_reminded: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Their local group: matched only within it. None: no group covers their postcode yet.
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    consented_at: Mapped[datetime]
    # The separate consent to use languages, gender and needs for matching (ADR 0029): when,
    # and the version of its words. None: not given or withdrawn (none of them is held).
    special_consent_at: Mapped[datetime | None] = mapped_column(default=None)
    special_consent_version: Mapped[str | None] = mapped_column(String(40), default=None)
    registered_at: Mapped[datetime]
    # Since when they paused from their own data page: left out of runs until they resume.
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    # Their last activity: any change to their row (a check, a change of their own, a move).
    # A volunteer never ready is erased RETAIN_UNREADY_VOLUNTEERS_DAYS after it.
    active_at: Mapped[datetime | None] = mapped_column(default=_now, onupdate=_now)

    @validates(Check.DBS, Check.TRAINING)
    def _dated(self, key: str, outcome: str) -> str:
        """A DBS held or training completed is dated when recorded (again: renewed, its
        reminders forgotten); any other outcome has no date (ADR 44)."""
        dated = _now() if outcome == DATED[Check(key)] else None
        if key == Check.DBS:
            self.dbs_recorded_at = dated
        else:
            self.training_completed_at = dated
        if dated is not None:
            self.checks_reminded = [r for r in self.checks_reminded or [] if not r.startswith(key)]
        return outcome


class Newcomer(Base):
    """A person waiting for a befriender: what matching needs, and where to write to them."""

    __tablename__ = "newcomers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    # E.164. With no email of theirs or their referrer's, a coordinator calls them (ADR 0039).
    phone: Mapped[str | None] = mapped_column(String(16), default=None)
    # When a coordinator last said they called them (domain.calls: which call is owed).
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    postcode: Mapped[str] = mapped_column(String(8))
    district: Mapped[str] = mapped_column(String(4), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON)
    wants_english_practice: Mapped[bool]
    needs: Mapped[list[str]] = mapped_column(JSON)
    interests: Mapped[list[str]] = mapped_column(JSON)
    availability: Mapped[list[list[str]]] = mapped_column(JSON)
    gender: Mapped[str | None] = mapped_column(String(20))
    same_gender_only: Mapped[bool]
    needs_dbs: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Their local group: matched only within it. None: no group covers their postcode yet.
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    consented_at: Mapped[datetime]
    # The separate consent to use languages, gender and needs for matching (ADR 0029): when,
    # and the version of its words. None: not given or withdrawn (none of them is held).
    special_consent_at: Mapped[datetime | None] = mapped_column(default=None)
    special_consent_version: Mapped[str | None] = mapped_column(String(40), default=None)
    registered_at: Mapped[datetime]
    # Since when they paused from their own data page: left out of runs until they resume.
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last run that left them waiting, and why ({"why": sentence, "because": ..., ...}):
    # the coordinators' newcomers list. Cleared when a run proposes them.
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    unmatched: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Match(Base):
    """A volunteer and a newcomer: proposed by a run, decided by a coordinator."""

    __tablename__ = "matches"
    __table_args__ = (
        # One open match per newcomer, enforced by the database: two runs at once, or a run
        # and a coordinator, can never give a newcomer two befrienders.
        Index(
            "uq_open_match_per_newcomer",
            "newcomer_id",
            unique=True,
            postgresql_where=text("status IN ('proposed', 'approved', 'active')"),
            sqlite_where=text("status IN ('proposed', 'approved', 'active')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    volunteer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteers.id"), index=True)
    newcomer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("newcomers.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    score: Mapped[int]
    # The newcomer's group when the match was made (both people belong to it).
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(300))
    checkins_sent: Mapped[list[str]] = mapped_column(JSON, default=list)
    proposed_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # Paused by a safeguarding lead under a concern (ADR 45): no check-ins, and its volunteer
    # is proposed to nobody else, until resumed. The match itself goes on.
    paused_at: Mapped[datetime | None] = mapped_column(default=None)


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Inbox(InboxMixin, Base):
    __tablename__ = "inbox"


class Tombstone(TombstoneMixin, Base):
    __tablename__ = "tombstones"


class ErasureLog(ErasureLogMixin, Base):
    __tablename__ = "erasures"


class Tally(TallyMixin, Base):
    """Anonymous counts for the impact report (ADR 42): sign-ups, readiness, requests and
    each step of a match, by day and group (sanctuary.vocabulary.MatchingMeasure)."""

    __tablename__ = "tallies"


# The stocks the impact report reads (ADR 42): how many stand in each status, by group, each day.
tallies.track(Volunteer, Tally, MatchingKind.VOLUNTEER)
tallies.track(Newcomer, Tally, MatchingKind.NEWCOMER)
tallies.track(Match, Tally, MatchingKind.MATCH)
