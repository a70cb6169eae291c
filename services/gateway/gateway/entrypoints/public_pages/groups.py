"""The public pages of the local groups: every group, one group (what it covers, how to reach
it, its upcoming events and the two ways in), and the home page's finder, a postcode to its
group.

The sign-up and befriender forms carry ?group=<slug> in a hidden field, so the person lands
in the group whose page they came from; `joining_group()` (offered to every template) is
what those forms show and carry. An unknown slug in a link is left out silently: the
postcode decides then. With the events service down, a group's page still answers, saying
that its events cannot be shown just now.
"""

from __future__ import annotations

from typing import Any

from babel.lists import format_list
from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from sanctuary.fields import EVERYWHERE, Postcode, postcode_district
from sanctuary.web import current_service
from sanctuary.when import BABEL_LOCALES
from werkzeug.wrappers import Response

from gateway.adapters.upstream import UpstreamUnavailable
from gateway.entrypoints import routing
from gateway.entrypoints.public_pages.events import shown
from gateway.entrypoints.site import language
from gateway.service_layer import groups
from gateway.service_layer.groups import GroupView

blp = Blueprint("group_pages", __name__)


def areas_in_words(areas: tuple[str, ...]) -> list[str]:
    """What a group covers, as sentences in the reader's language: "Postcodes starting with
    S or LS6."; "*" is everywhere no other group covers. [] for a group with no area."""
    codes = [area for area in areas if area != EVERYWHERE]
    words = []
    if codes:
        listed = format_list(codes, style="or", locale=BABEL_LOCALES.get(language(), "en_GB"))
        words.append(gettext("Postcodes starting with %(areas)s.", areas=listed))
    if EVERYWHERE in areas:
        words.append(
            gettext("And everywhere else that has no local group of its own yet.")
            if codes
            else gettext("Everywhere that has no local group of its own yet.")
        )
    return words


def _events_of(group: GroupView) -> list[dict[str, Any]] | None:
    """The national events and the group's own, soonest first; None while the events
    service does not answer."""
    try:
        answer = routing.upstream("events").forward(
            "GET", "/internal/v1/events", g.correlation_id, params={"group_id": str(group.id)}
        )
    except UpstreamUnavailable:
        return None
    if answer.status_code != 200:
        return None
    return [shown(event) for event in answer.json()]


def joining_group() -> GroupView | None:
    """The group a form is for: ?group=<slug> of the link, or the hidden field of the form
    sent back; None when none is named or no group has the slug."""
    source = request.form if request.method == "POST" else request.args
    slug = str(source.get("group", "")).strip()
    return groups.by_slug(current_service().sessions, slug) if slug else None


@blp.app_context_processor
def _group_context() -> dict[str, Any]:
    return {"joining_group": joining_group}


@blp.get("/groups")
def every_group() -> str:
    """Every local group, by name, with what it covers."""
    every = groups.every(current_service().sessions)
    listed = [(group, areas_in_words(group.areas)) for group in every]
    return render_template("groups.html", groups=listed)


@blp.get("/groups/find")
def find() -> Response | tuple[str, int]:
    """The finder: a postcode goes to its group's page; a postcode no group covers yet gets
    a page saying so, and the two ways in all the same; anything else the form again."""
    given = request.args.get("postcode")
    if given is None:  # the finder's own address, typed or linked to: the empty form
        return render_template("group_finder.html", postcode="", error=None), 200
    try:
        postcode = str(Postcode(required=True).deserialize(given))
    except ValidationError:
        error = gettext("Enter a UK postcode, such as S1 2AB.")
        return render_template("group_finder.html", postcode=given, error=error), 422
    found = groups.for_postcode(current_service().sessions, postcode)
    if found is not None:
        return redirect(url_for(".group_page", slug=found.slug), code=303)
    page = render_template(
        "group_finder.html", postcode=postcode, error=None, district=postcode_district(postcode)
    )
    return page, 200


@blp.get("/groups/<slug>")
def group_page(slug: str) -> str:
    """One group: what it is, what it covers, its contact, its events, the two ways in."""
    group = groups.by_slug(current_service().sessions, slug)
    if group is None:
        abort(404)
    return render_template(
        "group.html",
        group=group,
        areas=areas_in_words(group.areas),
        events=_events_of(group),
    )
