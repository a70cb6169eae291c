"""The dashboard's groups: the switcher that narrows every page to one of the caller's
groups, and the network overview for network admins."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from sanctuary.bodies.matching import GROUP_SUMMARY
from sanctuary.web import current_service
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from gateway.entrypoints import routing
from gateway.entrypoints.coordinators.dashboard import act, blp, fetch
from gateway.service_layer import groups


def my_groups() -> list[groups.GroupView]:
    """The groups the signed-in caller works with: all of them for a network admin."""
    principal = g.get("principal")
    if principal is None:
        return []
    every = groups.every(current_service().sessions)
    scope = routing.caller_scope()
    return every if scope is None else [group for group in every if group.id in scope]


@blp.context_processor
def _switcher() -> dict[str, Any]:
    """What the layout's switcher shows."""
    if g.get("principal") is None:
        return {}
    mine = my_groups()
    return {
        "my_groups": mine,
        "shown_group": session.get("group", ""),
        "group_names": {str(group.id): group.name for group in mine},
    }


@blp.post("/group")
def switch_group() -> Response:
    """Show one of the caller's groups on every page, or all of them (an empty choice)."""
    slug = request.form.get("group", "").strip()
    if slug:
        try:
            routing.group_id_of(slug)
        except routing.NotYourGroup:
            flash("That is not one of your groups.", "error")
            return redirect(url_for(".index"), code=303)
        session["group"] = slug
    else:
        session.pop("group", None)
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/coordinator/") else url_for(".index"), code=303)


@blp.get("/network")
def network() -> str:
    """Network admins: every group side by side (volunteers applied and ready, newcomers
    waiting and the longest wait, proposals to decide, events coming), and the people no
    local group covers yet. Counts only."""
    if not g.principal.network_admin:
        raise Forbidden("The network overview is for network admins.")
    people = {row["group_id"]: row for row in fetch("matching", "/internal/v1/groups/summary")}
    coming = Counter(e["group_id"] for e in fetch("events", "/internal/v1/events"))
    rows = [
        {"name": group.name, "slug": group.slug, **_counts(people.get(str(group.id)))}
        | {"events": coming[str(group.id)]}
        for group in my_groups()
    ]
    unplaced = _counts(people.get(None))
    return render_template(
        "coordinator/network.html",
        rows=rows,
        unplaced=unplaced,
        national=coming[None],
        waiting=fetch("matching", "/internal/v1/unplaced"),
    )


@blp.post("/<any(volunteers, newcomers):people>/<uuid:person_id>/group")
def move_person(people: str, person_id: uuid.UUID) -> Response:
    """Place someone in a local group (from the network's list), or move them (they moved
    city); matching refuses while a match holds them, and says why."""
    back = request.form.get("next", "")
    back = back if back.startswith("/coordinator/") else url_for(".index")
    target = groups.by_slug(current_service().sessions, request.form.get("group", ""))
    if target is None:
        flash("Choose a group.", "error")
        return redirect(back, code=303)
    path = f"/internal/v1/{people}/{person_id}/group"
    body = {"group_id": str(target.id)}
    return act("matching", "POST", path, f"Moved to {target.name}.", back, json=body)


def _counts(row: dict[str, Any] | None) -> dict[str, Any]:
    return {key: (row or {}).get(key, 0) for key in GROUP_SUMMARY}
