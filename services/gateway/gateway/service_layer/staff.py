"""Coordinator accounts in the gateway's database: sign-in, personal tokens, who is asking,
and the audit log; each through a unit of work (none announces anything). The decisions
themselves are in `gateway.domain.accounts`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWorkFactory
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.adapters.models import ApiToken, AuditRecord, Coordinator, Group, Membership
from gateway.config import GatewayConfig
from gateway.domain import accounts
from gateway.domain.accounts import Access, Holder
from gateway.service_layer.groups import NoSuchGroup


class AlreadyExists(ValueError):
    """A coordinator with this email exists already."""


@dataclass(frozen=True)
class Principal:
    """Who is acting: a coordinator, or the bootstrap credential (coordinator_id None)."""

    coordinator_id: uuid.UUID | None
    display_name: str
    # Network admins (and the bootstrap credential) act on every group; others on `groups`.
    network_admin: bool = True
    groups: frozenset[uuid.UUID] = frozenset()

    @property
    def actor(self) -> str:
        return "coordinator" if self.coordinator_id else accounts.BOOTSTRAP


def principal_of(session: Session, coordinator: Coordinator) -> Principal:
    """A signed-in coordinator as a principal, with the groups they coordinate."""
    groups = session.scalars(
        select(Membership.group_id).where(Membership.coordinator_id == coordinator.id)
    )
    return Principal(
        coordinator.id, coordinator.display_name, coordinator.network_admin, frozenset(groups)
    )


def now() -> datetime:
    return datetime.now(UTC)


def holder(coordinator: Coordinator | None) -> Holder | None:
    """What the permission rules need to know of a coordinator."""
    if coordinator is None:
        return None
    valid_after = coordinator.sessions_valid_after
    return Holder(coordinator.active, as_utc(valid_after) if valid_after else None)


def create_coordinator(
    units: UnitOfWorkFactory,
    email: str,
    display_name: str,
    password: str,
    *,
    groups: tuple[str, ...] | list[str] = (),
    network_admin: bool = False,
) -> uuid.UUID:
    """A new active coordinator of the groups with these slugs (or a network admin); raises
    WeakPassword, AlreadyExists or NoSuchGroup."""
    coordinator = Coordinator(
        id=uuid.uuid4(),
        email=accounts.normalise_email(email),
        display_name=display_name.strip(),
        password_hash=accounts.hash_password(password),
        active=True,
        created_at=now(),
        network_admin=network_admin,
    )
    try:
        with units() as uow:
            session = uow.session
            session.add(coordinator)
            session.flush()
            for slug in dict.fromkeys(groups):
                group_id = session.scalar(select(Group.id).where(Group.slug == slug))
                if group_id is None:
                    raise NoSuchGroup(f"No group has the slug {slug!r}.")
                session.add(Membership(coordinator_id=coordinator.id, group_id=group_id))
    except IntegrityError:
        raise AlreadyExists("A coordinator with this email exists already.") from None
    return coordinator.id


def find_by_email(session: Session, email: str) -> Coordinator | None:
    return session.scalar(
        select(Coordinator).where(Coordinator.email == accounts.normalise_email(email))
    )


def set_active(units: UnitOfWorkFactory, email: str, active: bool) -> bool:
    """Switch an account on or off; False when there is no such account."""
    with units() as uow:
        session = uow.session
        coordinator = find_by_email(session, email)
        if coordinator is None:
            return False
        if active and not coordinator.active:
            # Switched back on, it starts afresh: no session from before comes back (while
            # it is off, every session and token gets 403).
            coordinator.sessions_valid_after = now()
        coordinator.active = active
        return True


def sign_in(units: UnitOfWorkFactory, email: str, password: str) -> Coordinator | None:
    """The active coordinator with this email and password, else None: the same time and the
    same answer for an unknown email, a wrong password and a switched-off account."""
    with units() as uow:
        session = uow.session
        coordinator = find_by_email(session, email)
        stored = coordinator.password_hash if coordinator else None
        if not accounts.password_matches(stored, password) or coordinator is None:
            return None
        if accounts.needs_rehash(coordinator.password_hash):
            coordinator.password_hash = accounts.HASHER.hash(password)
        return coordinator if coordinator.active else None


def end_sessions(units: UnitOfWorkFactory, coordinator_id: uuid.UUID) -> None:
    """Logout: every session of this coordinator signed in until now ends."""
    with units() as uow:
        session = uow.session
        coordinator = session.get(Coordinator, coordinator_id)
        if coordinator is not None:
            coordinator.sessions_valid_after = now()


@dataclass(frozen=True)
class Issued:
    """A personal token as made: shown once, then only its hash is kept."""

    token: str
    expires_at: datetime


def issue_token(
    units: UnitOfWorkFactory,
    coordinator_id: uuid.UUID,
    name: str,
    days: int = GatewayConfig.api_token_days,
) -> Issued:
    """A new personal token for the coordinator, working for `days` (API_TOKEN_DAYS)."""
    token = accounts.new_token()
    made = now()
    expires_at = made + timedelta(days=days)
    with units() as uow:
        session = uow.session
        session.add(
            ApiToken(
                id=uuid.uuid4(),
                coordinator_id=coordinator_id,
                name=name.strip()[:100] or "token",
                digest=accounts.token_digest(token),
                created_at=made,
                expires_at=expires_at,
            )
        )
    return Issued(token, expires_at)


def tokens_of(units: UnitOfWorkFactory, coordinator_id: uuid.UUID) -> list[ApiToken]:
    with units() as uow:
        session = uow.session
        query = select(ApiToken).where(ApiToken.coordinator_id == coordinator_id)
        return list(session.scalars(query.order_by(ApiToken.created_at.desc())))


def revoke_token(units: UnitOfWorkFactory, coordinator_id: uuid.UUID, token_id: uuid.UUID) -> bool:
    """Revoke one of the coordinator's own tokens; False if it is not theirs."""
    with units() as uow:
        session = uow.session
        token = session.get(ApiToken, token_id)
        if token is None or token.coordinator_id != coordinator_id:
            return False
        token.revoked_at = token.revoked_at or now()
        return True


def bearer_access(
    units: UnitOfWorkFactory, given: str, admin_token: str
) -> tuple[Access, Principal | None]:
    """Who a bearer token belongs to: the bootstrap credential, or a coordinator's own."""
    if not given:
        return Access.UNKNOWN, None
    if admin_token and accounts.same_secret(given, admin_token):
        return Access.ALLOWED, Principal(None, accounts.BOOTSTRAP)
    with units() as uow:
        session = uow.session
        token = session.scalar(
            select(ApiToken).where(ApiToken.digest == accounts.token_digest(given))
        )
        coordinator = session.get(Coordinator, token.coordinator_id) if token else None
        access = (
            accounts.token_access(
                holder(coordinator),
                token.revoked_at,
                token.expires_at and as_utc(token.expires_at),
                now(),
            )
            if token
            else Access.UNKNOWN
        )
        if access is not Access.ALLOWED or token is None or coordinator is None:
            return access, None
        token.last_used_at = now()
        return access, principal_of(session, coordinator)


def record(
    units: UnitOfWorkFactory,
    principal: Principal,
    *,
    via: str,
    action: str,
    route: str,
    target: tuple[str | None, str | None] = (None, None),
    status: int | None = None,
    group_id: uuid.UUID | None = None,
) -> None:
    """Write one audit record in its own transaction."""
    with units() as uow:
        session = uow.session
        session.add(
            AuditRecord(
                at=now(),
                coordinator_id=principal.coordinator_id,
                actor=principal.actor,
                via=via,
                action=action[:60],
                target_type=target[0],
                target_id=target[1],
                route=route[:200],
                status=status,
                group_id=group_id,
            )
        )


def recent(
    units: UnitOfWorkFactory, principal: Principal, limit: int = 200
) -> list[tuple[AuditRecord, str]]:
    """The newest audit records `principal` may see, each with the acting coordinator's
    display name: every record for a network admin; a coordinator's own, and those about
    their groups, otherwise."""
    statement = select(AuditRecord, Coordinator.display_name).outerjoin(
        Coordinator, AuditRecord.coordinator_id == Coordinator.id
    )
    if not principal.network_admin:
        statement = statement.where(
            or_(
                AuditRecord.coordinator_id == principal.coordinator_id,
                AuditRecord.group_id.in_(principal.groups),
            )
        )
    with units() as uow:
        rows = uow.session.execute(statement.order_by(AuditRecord.id.desc()).limit(limit))
        return [(r, name or accounts.BOOTSTRAP) for r, name in rows]
