"""Who holds the safeguarding roles (ADR 45): each group's lead and deputy, named by network
admins among the group's coordinators, and the network's lead."""

from __future__ import annotations

import uuid

from sanctuary.unit_of_work import UnitOfWorkFactory
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.adapters.models import Coordinator, Group, Membership


class NotALead(ValueError):
    """Who was named cannot hold the role: no such active account, or not the group's (422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def set_leads(session: Session, group: Group, named: dict[str, str | None]) -> None:
    """Name the group's safeguarding lead and/or deputy by their accounts' emails (None: no
    one): each an active coordinator of the group. In the transaction that changes the
    group (`groups.update`), so a refusal leaves the whole change undone."""
    for role in ("safeguarding_lead", "safeguarding_deputy"):
        if role in named:
            setattr(group, f"{role}_id", _account(session, group.id, role, named[role]))


def _account(
    session: Session, group_id: uuid.UUID, field: str, email: str | None
) -> uuid.UUID | None:
    if email is None:
        return None
    found = _active(session, field, email)
    member = session.scalar(
        select(Membership).where(
            Membership.coordinator_id == found.id, Membership.group_id == group_id
        )
    )
    if member is None:
        raise NotALead(field, "This coordinator does not coordinate the group.")
    return found.id


def _active(session: Session, field: str, email: str) -> Coordinator:
    """The active coordinator account with this email; NotALead on `field` when none."""
    from gateway.service_layer import staff  # staff needs groups, which needs this module

    found = staff.find_by_email(session, email)
    if found is None or not found.active:
        raise NotALead(field, "No active coordinator account has this email.")
    return found


def name_network_lead(units: UnitOfWorkFactory, email: str) -> None:
    """Make an active coordinator account the network's safeguarding lead (one of them)."""
    with units() as uow:
        _active(uow.session, "email", email).safeguarding_lead = True
