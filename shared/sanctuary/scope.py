"""Which local groups an internal API's caller may see, as the gateway says (X-Groups): a
coordinator's own groups; every group for a network admin and for public reads, which come
without the header."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import request
from werkzeug.exceptions import BadRequest

from sanctuary.bodies import GROUPS_HEADER
from sanctuary.web import invalid


def caller_groups() -> frozenset[uuid.UUID] | None:
    """The groups this call may see (the gateway's X-Groups header); None: every group."""
    raw = request.headers.get(GROUPS_HEADER)
    if raw is None:
        return None
    try:
        return frozenset(uuid.UUID(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise BadRequest(f"{GROUPS_HEADER} must be comma-separated group ids.") from None


def may_see(group_id: uuid.UUID | None, *, national: bool = False) -> bool:
    """Whether this call may see an object of `group_id`: any, without X-Groups; else one of
    those groups' objects, or one of no group when it is `national` (an event every group's
    people may come to). A person with no group yet is for network admins only."""
    groups = caller_groups()
    if groups is None:
        return True
    return national if group_id is None else group_id in groups


def visible_groups(asked: Iterable[uuid.UUID]) -> frozenset[uuid.UUID] | None:
    """The groups a list shows: those asked for (?group_id=), within what this call may see;
    None: every group (nothing asked, no X-Groups)."""
    wanted, allowed = frozenset(asked), caller_groups()
    if allowed is None:
        return wanted or None
    return wanted & allowed if wanted else allowed


def listed_groups() -> frozenset[uuid.UUID] | None:
    """The groups a list shows for this request: ?group_id= (repeatable; a 422 naming it when
    one is not an id) within what the caller may see; None: every group."""
    try:
        asked = [uuid.UUID(value) for value in request.args.getlist("group_id")]
    except ValueError:
        raise invalid({"group_id": ["Not a valid group id."]}, "Invalid query.") from None
    return visible_groups(asked)
