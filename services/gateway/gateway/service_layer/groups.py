"""The registry of local groups: create, change, find, and which group a postcode falls in.
Each change is announced (group.created / group.updated) in the same transaction, so the
other services' copies follow every committed change and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sanctuary.contracts import DEFAULT_GROUP_ID, GroupCreated, GroupUpdated
from sanctuary.db import SessionFactory
from sanctuary.unit_of_work import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.adapters.models import Group, GroupArea
from gateway.domain import groups as rules
from gateway.service_layer import safeguarding_roles

AREA_TAKEN = "Another group took one of these areas at the same moment: look again."
# What a network admin may change (the slug stays: it is in every link to the group).
CHANGEABLE = ("name", "contact", "timezone", "description", "areas")


class NoSuchGroup(LookupError):
    """No group has this slug."""

    field = "group"


class GroupNotFound(LookupError):
    """The group a route names does not exist (a 404)."""


class GroupConflict(ValueError):
    """The slug, or one of the areas, belongs to another group already."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownTimezone(ValueError):
    field = "timezone"


@dataclass(frozen=True)
class GroupView:
    """A group as the API and the pages show it."""

    id: uuid.UUID
    slug: str
    name: str
    contact: str
    timezone: str
    description: str
    areas: tuple[str, ...]
    network: bool

    def public(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "contact": self.contact,
            "timezone": self.timezone,
            "description": self.description,
            "areas": list(self.areas),
        }


def create(
    units: UnitOfWorkFactory,
    fields: dict[str, Any],
    *,
    group_id: uuid.UUID | None = None,
    network: bool = False,
) -> GroupView:
    """A new group with its areas, announced; GroupConflict for a taken slug or area."""
    _check_timezone(fields.get("timezone") or rules.DEFAULT_TIMEZONE)
    try:
        return _create(units, fields, group_id or uuid.uuid4(), network)
    except IntegrityError:  # another request took the slug or an area first
        raise _lost_race(units, fields["slug"]) from None


def _create(
    units: UnitOfWorkFactory, fields: dict[str, Any], group_id: uuid.UUID, network: bool
) -> GroupView:
    with units() as uow:
        session = uow.session
        if session.scalar(select(Group.id).where(Group.slug == fields["slug"])) is not None:
            raise GroupConflict("slug", f"A group with the slug {fields['slug']!r} exists.")
        now = datetime.now(UTC)
        group = Group(
            id=group_id,
            slug=fields["slug"],
            name=fields["name"],
            contact=fields["contact"],
            timezone=fields.get("timezone") or rules.DEFAULT_TIMEZONE,
            description=fields.get("description") or "",
            network=network,
            sequence=0,
            created_at=now,
            updated_at=now,
        )
        session.add(group)
        session.flush()
        _cover(session, group.id, fields.get("areas") or ())
        _announce(uow, group, GroupCreated)
        return _view(session, group)


def update(
    units: UnitOfWorkFactory,
    slug: str,
    changes: dict[str, Any],
    leads: dict[str, str | None] | None = None,
) -> GroupView:
    """Change a group's name, contact, timezone, description or areas, and name its
    safeguarding `leads` (`safeguarding_roles.set_leads`), all or nothing; announced."""
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    with units() as uow:
        session = uow.session
        group = session.scalar(select(Group).where(Group.slug == slug).with_for_update())
        if group is None:
            raise GroupNotFound(f"No group has the slug {slug!r}.")
        for name in ("name", "contact", "timezone", "description"):
            if name in changes:
                setattr(group, name, changes[name])
        if "areas" in changes:
            session.execute(delete(GroupArea).where(GroupArea.group_id == group.id))
            session.flush()
            _cover(session, group.id, changes["areas"])
        if leads:
            safeguarding_roles.set_leads(session, group, leads)
        group.sequence += 1
        group.updated_at = datetime.now(UTC)
        _announce(uow, group, GroupUpdated)
        try:
            session.flush()
        except IntegrityError:  # another group took one of the areas at the same moment
            raise GroupConflict(
                "areas", "Another group took one of these areas just now."
            ) from None
        return _view(session, group)


def _lost_race(units: UnitOfWorkFactory, slug: str) -> GroupConflict:
    """Which unique rule a create that lost a race broke: the slug's, else an area's."""
    with units() as uow:
        if uow.session.scalar(select(Group.id).where(Group.slug == slug)) is not None:
            return GroupConflict("slug", f"A group with the slug {slug!r} exists.")
    return GroupConflict("areas", AREA_TAKEN)


def seed_default(units: UnitOfWorkFactory, fields: dict[str, Any]) -> GroupView | None:
    """The network's own group, made once on an empty registry (`migrate` calls this); None
    when a group with its id exists already."""
    with units() as uow:
        if uow.session.get(Group, DEFAULT_GROUP_ID) is not None:
            return None
    return create(units, fields, group_id=DEFAULT_GROUP_ID, network=True)


def every(sessions: SessionFactory) -> list[GroupView]:
    """Every group, by name, with its areas (two queries, whatever the number of groups)."""
    with sessions() as session:
        areas: dict[uuid.UUID, list[str]] = {}
        for area, group_id in session.execute(
            select(GroupArea.area, GroupArea.group_id).order_by(GroupArea.area)
        ):
            areas.setdefault(group_id, []).append(area)
        return [
            _view(session, group, areas.get(group.id, []))
            for group in session.scalars(select(Group).order_by(Group.name))
        ]


def by_slug(sessions: SessionFactory, slug: str) -> GroupView | None:
    with sessions() as session:
        group = session.scalar(select(Group).where(Group.slug == slug))
        return _view(session, group) if group else None


def by_id(sessions: SessionFactory, group_id: str | uuid.UUID) -> GroupView | None:
    """The group with this id; None for none, or for a value that is not an id."""
    try:
        key = group_id if isinstance(group_id, uuid.UUID) else uuid.UUID(group_id)
    except ValueError:
        return None
    with sessions() as session:
        group = session.get(Group, key)
        return _view(session, group) if group else None


def for_postcode(sessions: SessionFactory, postcode: str) -> GroupView | None:
    """The group covering a normalised postcode; None when no group covers it yet."""
    with sessions() as session:
        group_id = _covering(session, postcode)
        group = session.get(Group, group_id) if group_id else None
        return _view(session, group) if group else None


def _covering(session: Session, postcode: str) -> uuid.UUID | None:
    """The id of the group covering a normalised postcode: one query."""
    found = session.execute(
        select(GroupArea.area, GroupArea.group_id).where(
            GroupArea.area.in_(rules.areas_to_try(postcode))
        )
    )
    return rules.covering(postcode, {area: group for area, group in found})


def place(sessions: SessionFactory, slug: str | None, postcode: str | None) -> uuid.UUID | None:
    """`place_in` a session of its own."""
    with sessions() as session:
        return place_in(session, slug, postcode)


def place_in(session: Session, slug: str | None, postcode: str | None) -> uuid.UUID | None:
    """The group of someone who named `slug` (NoSuchGroup when none has it), else the one
    their postcode falls in; None when neither gives one. One query: every sign-up asks,
    in the transaction that records it."""
    if slug:
        named = session.scalar(select(Group.id).where(Group.slug == slug))
        if named is None:
            raise NoSuchGroup(f"No local group has the slug {slug!r}.")
        return named
    return _covering(session, postcode) if postcode else None


def _cover(session: Session, group_id: uuid.UUID, areas: Iterable[str]) -> None:
    wanted = sorted(set(areas))
    rows = session.execute(
        select(GroupArea.area, GroupArea.group_id).where(GroupArea.area.in_(wanted))
    )
    held = {area: group for area, group in rows}
    taken = rules.taken_areas(wanted, held, group_id)
    if taken:
        raise GroupConflict("areas", f"Another group covers {', '.join(taken)} already.")
    session.add_all(GroupArea(area=area, group_id=group_id) for area in wanted)


def _check_timezone(name: str) -> None:
    if not rules.known_timezone(name):
        raise UnknownTimezone(f"{name!r} is not a timezone such as Europe/London.")


def _announce(uow: UnitOfWork, group: Group, fact: type[GroupCreated] | type[GroupUpdated]) -> None:
    uow.publish(
        fact(
            group_id=group.id,
            slug=group.slug,
            name=group.name,
            contact=group.contact,
            timezone=group.timezone,
            network=group.network,
            sequence=group.sequence,
        )
    )


def _view(session: Session, group: Group, areas: Iterable[str] | None = None) -> GroupView:
    """The group as shown, with its areas (looked up unless given)."""
    if areas is None:
        areas = session.scalars(
            select(GroupArea.area).where(GroupArea.group_id == group.id).order_by(GroupArea.area)
        )
    return GroupView(
        id=group.id,
        slug=group.slug,
        name=group.name,
        contact=group.contact,
        timezone=group.timezone,
        description=group.description,
        areas=tuple(areas),
        network=group.network,
    )
