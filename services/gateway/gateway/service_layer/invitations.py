"""Inviting coordinators by email, without a shell: a network admin invites to any group (or
as a network admin), a coordinator to their own groups. The emailed link sets the password
once, within INVITATION_LIFETIME; the account is made in the same transaction that marks the
invitation accepted, so a link can never make two."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sanctuary.contracts import CoordinatorInvited
from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWorkFactory
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.adapters.models import Coordinator, Group, Invitation, Membership
from gateway.domain import accounts
from gateway.service_layer.groups import NoSuchGroup
from gateway.service_layer.staff import AlreadyExists, Principal

INVITATION_LIFETIME = timedelta(hours=72)


class NotAllowed(PermissionError):
    """Only a network admin may invite a network admin."""


class InvitationGone(LookupError):
    """No such invitation, or it was accepted already, or it expired."""


def invite(
    units: UnitOfWorkFactory,
    principal: Principal,
    email: str,
    name: str,
    slugs: list[str],
    *,
    network_admin: bool = False,
) -> Invitation:
    """Record an invitation and announce it (notifications emails the link)."""
    if network_admin and not principal.network_admin:
        raise NotAllowed("Only a network admin may invite a network admin.")
    address, now = accounts.normalise_email(email), datetime.now(UTC)
    with units() as uow:
        session = uow.session
        group_ids = [_invitable(session, principal, slug) for slug in dict.fromkeys(slugs)]
        if session.scalar(select(Coordinator.id).where(Coordinator.email == address)):
            raise AlreadyExists("A coordinator with this email exists already.")
        invitation = Invitation(
            id=uuid.uuid4(),
            email=address,
            display_name=name.strip(),
            network_admin=network_admin,
            group_ids=[str(g) for g in group_ids],
            invited_by=principal.coordinator_id,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
            accepted_at=None,
        )
        session.add(invitation)
        uow.publish(
            CoordinatorInvited(
                invitation_id=invitation.id,
                name=invitation.display_name,
                email=address,
                expires_at=invitation.expires_at,
                group_id=group_ids[0] if group_ids else None,
            )
        )
        return invitation


def _invitable(session: Session, principal: Principal, slug: str) -> uuid.UUID:
    """A group the principal may invite to: any for a network admin, else their own; the
    same refusal for one that does not exist and one of another's."""
    group_id = session.scalar(select(Group.id).where(Group.slug == slug))
    if group_id is None or not (principal.network_admin or group_id in principal.groups):
        refused = NoSuchGroup(f"No group {slug!r} of yours.")
        refused.field = "groups"
        raise refused
    return group_id


def pending(units: UnitOfWorkFactory, invitation_id: uuid.UUID) -> Invitation:
    """The invitation, if it can still be accepted; InvitationGone otherwise."""
    with units() as uow:
        invitation = uow.session.get(Invitation, invitation_id)
        _check_open(invitation)
        assert invitation is not None
        return invitation


def accept(units: UnitOfWorkFactory, invitation_id: uuid.UUID, password: str) -> Coordinator:
    """Make the invited coordinator with this password (WeakPassword if it is weak), once."""
    password_hash = accounts.hash_password(password)
    try:
        return _accept(units, invitation_id, password_hash)
    except IntegrityError:  # another invitation to this address was accepted at that moment
        raise InvitationGone("A coordinator with this email exists already: sign in.") from None


def _accept(units: UnitOfWorkFactory, invitation_id: uuid.UUID, password_hash: str) -> Coordinator:
    with units() as uow:
        session = uow.session
        invitation = session.get(Invitation, invitation_id, with_for_update=True)
        _check_open(invitation)
        assert invitation is not None
        if session.scalar(select(Coordinator.id).where(Coordinator.email == invitation.email)):
            raise InvitationGone("A coordinator with this email exists already: sign in.")
        _check_inviter(session, invitation)
        now = datetime.now(UTC)
        coordinator = Coordinator(
            id=uuid.uuid4(),
            email=invitation.email,
            display_name=invitation.display_name,
            password_hash=password_hash,
            active=True,
            created_at=now,
            network_admin=invitation.network_admin,
        )
        session.add(coordinator)
        session.flush()
        for group_id in invitation.group_ids:
            session.add(Membership(coordinator_id=coordinator.id, group_id=uuid.UUID(group_id)))
        invitation.accepted_at = now
        return coordinator


def _check_inviter(session: Session, invitation: Invitation) -> None:
    """Whoever invited may still invite to these groups (switched off, or no longer in a
    group, since?): otherwise the invitation lapses with them."""
    if invitation.invited_by is None:
        return  # the bootstrap credential
    inviter = session.get(Coordinator, invitation.invited_by)
    lapsed = InvitationGone("Whoever invited you can no longer do so: ask for a new invitation.")
    if inviter is None or not inviter.active:
        raise lapsed
    if inviter.network_admin:
        return
    theirs = set(
        session.scalars(select(Membership.group_id).where(Membership.coordinator_id == inviter.id))
    )
    if invitation.network_admin or not {uuid.UUID(g) for g in invitation.group_ids} <= theirs:
        raise lapsed


def _check_open(invitation: Invitation | None) -> None:
    if invitation is None or invitation.accepted_at is not None:
        raise InvitationGone("This invitation was used already, or does not exist.")
    if as_utc(invitation.expires_at) <= datetime.now(UTC):
        raise InvitationGone("This invitation has expired: ask for a new one.")
