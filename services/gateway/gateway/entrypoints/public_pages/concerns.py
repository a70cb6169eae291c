""" "Report a concern" (issue 19, ADR 45): the page the links in emails and on the pages people
reach from them open, naming what the concern is about (`?about=match&id=...`). No sign-in,
no JavaScript; in the reader's language; says what to do in an emergency and what happens
next. It records through the same use case as `POST /api/v1/concerns`."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from sanctuary.safeguarding_words import ConcernAbout, ConcernCategory, ConcernUrgency
from sanctuary.web import current_service
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from gateway.entrypoints.public_api.concerns import ConcernSchema, group_of
from gateway.entrypoints.public_pages.forms import N_, field_messages
from gateway.service_layer import concerns

blp = Blueprint("concern_pages", __name__)

CATEGORIES = {
    ConcernCategory.PHYSICAL: N_("Someone hurt, or threatened to hurt, someone"),
    ConcernCategory.EMOTIONAL: N_("Bullying, frightening or controlling behaviour"),
    ConcernCategory.SEXUAL: N_("Unwanted sexual behaviour"),
    ConcernCategory.FINANCIAL: N_("Money: asking for it, taking it, or pressure about it"),
    ConcernCategory.EXPLOITATION: N_("Made to work, or moved, against their will"),
    ConcernCategory.DOMESTIC_ABUSE: N_("Abuse at home"),
    ConcernCategory.NEGLECT: N_("Someone not getting the care or help they need"),
    ConcernCategory.DISCRIMINATION: N_("Treated badly because of who they are"),
    ConcernCategory.SELF_HARM: N_("Someone may harm themselves"),
    ConcernCategory.BOUNDARIES: N_("A befriender or a newcomer crossing a line"),
    ConcernCategory.OTHER: N_("Something else"),
}
URGENCIES = {
    ConcernUrgency.URGENT: N_("Today: someone may be at risk now"),
    ConcernUrgency.SOON: N_("In the next day or two"),
    ConcernUrgency.ROUTINE: N_("When someone can"),
}
FIELDS = ("category", "urgency", "details", "reporter_contact")


def _subject() -> tuple[str, uuid.UUID] | None:
    """What the link says the concern is about; None when it says nothing we know."""
    values = request.values
    try:
        return ConcernAbout(values.get("about", "")), uuid.UUID(values.get("id", ""))
    except ValueError:
        return None


def _page(values: MultiDict[str, str], errors: dict[str, str], status: int) -> tuple[str, int]:
    return render_template(
        "concern.html",
        values=values,
        errors=errors,
        subject=_subject(),
        categories=[(k, gettext(v)) for k, v in CATEGORIES.items()],
        urgencies=[(k, gettext(v)) for k, v in URGENCIES.items()],
    ), status


@blp.route("/concern", methods=["GET", "POST"])
def report() -> Response | tuple[str, int]:
    """The form; sent, the concern is kept and its leads told, and the thanks page follows."""
    subject = _subject()
    if request.method == "GET" or subject is None:
        return _page(MultiDict(request.args), {}, 200 if request.method == "GET" else 422)
    data: dict[str, Any] = {"about": {"kind": subject[0], "id": str(subject[1])}}
    data |= {k: v.strip() for k in FIELDS if (v := request.form.get(k, "")).strip()}
    try:
        loaded = ConcernSchema().load(data)
    except ValidationError as exc:
        return _page(request.form, field_messages(exc.messages), 422)
    group = group_of(*subject)
    made = concerns.raise_concern(current_service().unit_of_work, loaded, group)
    return redirect(url_for(".thanks", reference=made["reference"]), code=303)


@blp.get("/concern/thanks")
def thanks() -> str:
    """What happens next, and the reference to quote."""
    return render_template("concern_thanks.html", reference=request.args.get("reference", "")[:9])
