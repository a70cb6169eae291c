"""Local groups: the gateway owns the registry and announces each group as it now stands."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar

from marshmallow import fields, validate

from sanctuary import fields as f
from sanctuary.contracts.base import contract

# The group every row stored before groups existed belongs to, and the one `make run` seeds:
# a fixed id, so each service's migration can name it without asking the gateway.
DEFAULT_GROUP_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
GROUP_NAME_MAX = 100

Slug = Annotated[str, f.slug]
GroupName = Annotated[
    str, lambda: f.Text(required=True, validate=validate.Length(1, GROUP_NAME_MAX))
]


@dataclass(frozen=True, kw_only=True)
class GroupChanged:
    """A group as it now stands: what the other services keep of it (notifications signs
    emails with its name and contact). `sequence` grows with each change: a copy keeps the
    highest it has seen, so a late, older message never undoes a newer one."""

    group_id: uuid.UUID
    slug: Slug
    name: GroupName
    contact: Annotated[str, f.email]
    timezone: Annotated[str, lambda: fields.String(required=True, validate=validate.Length(1, 60))]
    # The network's own group: it signs the emails to people with no local group yet.
    network: bool = False
    sequence: Annotated[int, lambda: fields.Integer(required=True, validate=validate.Range(0))]


@contract
@dataclass(frozen=True, kw_only=True)
class GroupCreated(GroupChanged):
    """A network admin created a local group (or `make run` seeded the default one)."""

    TYPE: ClassVar[str] = "group.created"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class GroupUpdated(GroupChanged):
    """A network admin changed a group's name, contact, areas or timezone."""

    TYPE: ClassVar[str] = "group.updated"
    VERSION: ClassVar[int] = 1


@contract
@dataclass(frozen=True, kw_only=True)
class CoordinatorInvited:
    """Someone was invited to coordinate: notifications emails them the single-use link
    (made from the id with LINK_SECRET when sending: no token travels), signed by the first
    group they join (None: the network's own)."""

    TYPE: ClassVar[str] = "coordinator.invited"
    VERSION: ClassVar[int] = 1
    # About a coordinator, not a volunteer or newcomer: never voided by an erasure.
    SUBJECT: ClassVar[tuple[str, ...]] = ()

    invitation_id: uuid.UUID
    name: Annotated[str, f.name]
    email: Annotated[str, f.email]
    expires_at: datetime
    group_id: uuid.UUID | None = None
