"""The gateway's tables. It keeps no personal data of its own: a sign-up's details live only in
its outbox row until the relay has published them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sanctuary.messaging_models import InboxMixin, OutboxMixin
from sqlalchemy import JSON, DateTime, Float, ForeignKey, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Submission(Base):
    """A public write the gateway accepted (a volunteer sign-up, later a newcomer request...)."""

    __tablename__ = "submissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    accepted_at: Mapped[datetime]


class IdempotentResponse(Base):
    """The first answer given to an Idempotency-Key, replayed for every repeat of the request."""

    __tablename__ = "idempotent_responses"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)  # "POST /api/v1/volunteers"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON body
    status: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Outbox(OutboxMixin, Base):
    __tablename__ = "outbox"


class Coordinator(Base):
    """A coordinator who signs in to the dashboard and may hold personal API tokens."""

    __tablename__ = "coordinators"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Logging out ends every session signed in before this moment.
    sessions_valid_after: Mapped[datetime | None]
    # Every group, and the groups and coordinators themselves; otherwise only their groups.
    network_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The network's safeguarding lead: opens every case file, hears of urgent concerns left
    # unacknowledged (ADR 45). A role of its own: a network admin is not one by being so.
    safeguarding_lead: Mapped[bool] = mapped_column(default=False, server_default=false())


class Group(Base):
    """A local group of the network: its people, events and emails are its own."""

    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The safeguarding contact every email of the group names, and its Reply-To.
    contact: Mapped[str] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(500), default="")
    # The network's own group, seeded by `migrate`: it signs emails to people with no group.
    network: Mapped[bool] = mapped_column(default=False)
    # Its safeguarding lead and deputy (coordinator accounts): they hear of its concerns and
    # open their case files (ADR 45).
    safeguarding_lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    safeguarding_deputy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    # Grows with each change; announced, so the other services' copies keep the newest.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class GroupArea(Base):
    """A postcode area or district ("S", "LS6", or "*" for everywhere) and the one group that
    covers it; the longest area a postcode starts with decides its group."""

    __tablename__ = "group_areas"

    area: Mapped[str] = mapped_column(String(4), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id"), index=True)


class Membership(Base):
    """A coordinator of a group."""

    __tablename__ = "coordinator_groups"

    coordinator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coordinators.id"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id"), primary_key=True)


class ApiToken(Base):
    """A coordinator's personal token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    coordinator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coordinators.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # No token opens the API for ever (issue 16, point 10): API_TOKEN_DAYS after it is made.
    expires_at: Mapped[datetime | None]


class AuditRecord(Base):
    """Who did what to which record, when and through which route. Ids only: never the
    name or contact details of the person acted on."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    # None when the bootstrap ADMIN_TOKEN acted (actor "bootstrap").
    coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    actor: Mapped[str] = mapped_column(String(40))  # "coordinator" | "bootstrap"
    via: Mapped[str] = mapped_column(String(20))  # "api" | "dashboard" | "cli"
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))  # "POST /api/v1/matches/<uuid:match_id>/..."
    status: Mapped[int | None]  # the HTTP answer given
    # The group of what was acted on, when the answer said it: a coordinator's audit view
    # holds their groups' records and their own.
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class Invitation(Base):
    """An invitation to coordinate, sent by email: its link (made from the id with
    LINK_SECRET) sets the password once, within INVITATION_HOURS."""

    __tablename__ = "coordinator_invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # lower case
    display_name: Mapped[str] = mapped_column(String(100))
    network_admin: Mapped[bool]
    group_ids: Mapped[list[str]] = mapped_column(JSON)
    # None when the bootstrap ADMIN_TOKEN invited.
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class Inbox(InboxMixin, Base):
    """The facts the gateway's worker applied (each service's answer to an erasure)."""

    __tablename__ = "inbox"


class PrivacyRequest(Base):
    """A person's right exercised: an erasure, or a subject-access export. The person is named
    by the keyed hash of their address and their ids, never by the address itself."""

    __tablename__ = "privacy_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # erasure, access
    subject: Mapped[str | None] = mapped_column(String(64))
    ids: Mapped[list[str]] = mapped_column(JSON)
    # Why, as the coordinator wrote it ("asked by phone"); the person's own: "self".
    reason: Mapped[str] = mapped_column(String(300))
    # None when the person asked themselves, or the bootstrap ADMIN_TOKEN acted.
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    via: Mapped[str] = mapped_column(String(20))  # api, dashboard, self
    # The person's groups when it was asked: who may follow it.
    group_ids: Mapped[list[str]] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(index=True)
    # An erasure: when the last service answered.
    completed_at: Mapped[datetime | None]


class ErasureProgress(Base):
    """One service's row of an erasure's completion matrix."""

    __tablename__ = "erasure_progress"

    erasure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("privacy_requests.id"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # pending, done
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    kept: Mapped[dict[str, str]] = mapped_column(JSON)
    done_at: Mapped[datetime | None]


class DataLink(Base):
    """A link to a person's own data asked for at /my-data (ADR 0026): the address it was
    asked for, until the link expires; then housekeeping deletes the row. The emailed link
    is made from the id with LINK_SECRET; the token itself is never stored."""

    __tablename__ = "data_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower case
    locale: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInThrottle(Base):
    """Failed sign-ins of one account from one client (ADR 32), kept in the database so that
    no restart forgets them; a success deletes the row, housekeeping a day-old one."""

    __tablename__ = "sign_in_throttles"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)  # digest of the email
    client: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed hash of the address
    failures: Mapped[int]
    last_failure_at: Mapped[datetime] = mapped_column(index=True)


class RateLimitCounter(Base):
    """A rate-limit window's count (Flask-Limiter's fixed window), when no Redis is given:
    the web processes share it and a restart keeps it (gateway.adapters.rate_limits)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch


class Concern(Base):
    """A safeguarding concern and its case file's head (ADR 45): who may open it is decided by
    its group's lead and deputy and the network lead; it is not erased with the person."""

    __tablename__ = "concerns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None: the network lead's
    about: Mapped[str] = mapped_column(String(10))  # volunteer, newcomer, match, event
    about_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    details: Mapped[str] = mapped_column(String(4000))
    # How to reach whoever raised it, if they left a way; None: anonymous, or a coordinator.
    reporter_contact: Mapped[str | None] = mapped_column(String(254))
    raised_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    status: Mapped[str] = mapped_column(String(12), index=True)
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(2000))
    closure_reason: Mapped[str | None] = mapped_column(String(300))


class ConcernEntry(Base):
    """One step of a case file: an action, or a referral with the body referred to."""

    __tablename__ = "concern_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    concern_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("concerns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(String(2000))
    referred_to: Mapped[str | None] = mapped_column(String(200))
    written_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coordinators.id"))
    written_at: Mapped[datetime]
