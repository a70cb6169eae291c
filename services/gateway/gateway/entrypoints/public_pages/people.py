"""The public pages for people: the home page, the volunteer sign-up form and the request
for a befriender (by a newcomer, or by a support worker referring them).

The forms validate with the API's own schemas and record through the API's own path, so
each rule lives in one place and a form records exactly what the API would for the same
answers. Invalid answers come back on the same page (422) with the schema's message next
to each field, in the reader's language; a valid form redirects (303) to a thank-you page
whose address holds only the submission's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import Schema, ValidationError
from sanctuary import references
from sanctuary.fields import DAYS, PARTS
from sanctuary.web import current_service
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from gateway import domain
from gateway.entrypoints import submissions
from gateway.entrypoints.public_pages import forms
from gateway.entrypoints.public_pages.forms import FORM_KEY, N_, field_messages, schema_input
from gateway.entrypoints.schemas import NewcomerRequestSchema, VolunteerSignUpSchema
from gateway.entrypoints.site import language
from gateway.service_layer import groups, intake

blp = Blueprint("pages", __name__)


# What a person can tick. Language names are shown in their own script (with `lang`) and
# in the page's language; the codes are what the API takes.
LANGUAGE_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("en", "English", N_("English")),
    ("ar", "العربية", N_("Arabic")),
    ("uk", "Українська", N_("Ukrainian")),
    ("fa", "فارسی", N_("Persian (Farsi)")),
    ("prs", "دری", N_("Dari")),
    ("ps", "پښتو", N_("Pashto")),
    ("ku", "Kurdî", N_("Kurdish")),
    ("ti", "ትግርኛ", N_("Tigrinya")),
    ("am", "አማርኛ", N_("Amharic")),
    ("so", "Soomaali", N_("Somali")),
    ("ur", "اردو", N_("Urdu")),
    ("ru", "Русский", N_("Russian")),
    ("fr", "Français", N_("French")),
    ("sq", "Shqip", N_("Albanian")),
    ("vi", "Tiếng Việt", N_("Vietnamese")),
)
INTEREST_CHOICES: tuple[tuple[str, str], ...] = (
    ("football", N_("Football")),
    ("walking", N_("Walking")),
    ("cooking", N_("Cooking")),
    ("music", N_("Music")),
    ("arts_and_crafts", N_("Arts and crafts")),
    ("reading", N_("Reading")),
    ("board_games", N_("Board games")),
    ("gardening", N_("Gardening")),
)
NEED_CHOICES: tuple[tuple[str, str], ...] = (
    ("making_friends", N_("Making friends")),
    ("finding_services", N_("Finding doctors, schools and other services")),
    ("getting_around", N_("Getting to know the area")),
    ("forms_and_letters", N_("Understanding letters and forms")),
    ("school_and_children", N_("School and children")),
    ("work_and_volunteering", N_("Work and volunteering")),
)
GENDER_CHOICES: tuple[tuple[str, str], ...] = (
    ("female", N_("Woman")),
    ("male", N_("Man")),
    ("non_binary", N_("Non-binary")),
    ("", N_("I prefer not to say")),
)
DAY_NAMES: dict[str, str] = dict(
    zip(
        DAYS,
        (
            N_("Monday"),
            N_("Tuesday"),
            N_("Wednesday"),
            N_("Thursday"),
            N_("Friday"),
            N_("Saturday"),
            N_("Sunday"),
        ),
        strict=True,
    )
)
PART_NAMES: dict[str, str] = dict(
    zip(PARTS, (N_("Morning"), N_("Afternoon"), N_("Evening")), strict=True)
)

Announce = Callable[[uuid.UUID, dict[str, Any], datetime], Any]


def _form_page(
    template: str,
    schema: Schema,
    kind: str,
    announce: Announce,
    defaults: dict[str, str],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda data: data,
    thanks_args: Callable[[dict[str, Any]], dict[str, str]] = lambda loaded: {},
) -> Response | tuple[str, int]:
    """GET shows the empty form; POST records a valid one or shows it again with errors,
    then leads to its thank-you page (with `thanks_args` of what was recorded)."""
    if request.method == "GET":
        values = MultiDict({**defaults, FORM_KEY: str(uuid.uuid4())})
        return render_template(template, values=values, errors={}, **choices()), 200
    data = prepare(schema_input(schema, request.form, language()))
    errors = forms.named_languages(data, request.form)
    try:
        loaded = submissions.placed(schema.load(data))
    except ValidationError as exc:
        errors = {**field_messages(exc.messages), **errors}
    except groups.NoSuchGroup as exc:
        errors = {"group": str(exc), **errors}
    if errors:
        return render_template(template, values=request.form, errors=errors, **choices()), 422
    body = forms.record(kind, lambda i, now: announce(i, loaded, now), data)
    thanks = url_for(f".{kind}_thanks", submission_id=body["id"], **thanks_args(loaded))
    return redirect(thanks, code=303)


def choices() -> dict[str, Any]:
    """The boxes and their labels, in the reader's language."""
    pairs = {
        "interest_choices": INTEREST_CHOICES,
        "need_choices": NEED_CHOICES,
        "gender_choices": GENDER_CHOICES,
    }
    return {
        "language_choices": [(c, own, gettext(name)) for c, own, name in LANGUAGE_CHOICES],
        **{key: [(v, gettext(label)) for v, label in pairs[key]] for key in pairs},
        "day_names": {day: gettext(name) for day, name in DAY_NAMES.items()},
        "part_names": {part: gettext(name) for part, name in PART_NAMES.items()},
    }


def _thanks(template: str, kind: str, submission_id: uuid.UUID, **shown: Any) -> str:
    if not intake.submission_exists(current_service().sessions, kind, submission_id):
        abort(404)
    return render_template(template, reference=references.of(submission_id), **shown)


@blp.get("/")
def home() -> str:
    """What the network is, and the three ways in."""
    return render_template("home.html")


@blp.route("/volunteer", methods=["GET", "POST"])
def volunteer() -> Response | tuple[str, int]:
    """The volunteer sign-up form: every field of the API, in four short groups."""
    return _form_page(
        "volunteer.html",
        VolunteerSignUpSchema(),
        "volunteer",
        domain.volunteer_signed_up,
        {"max_matches": "1"},
    )


@blp.get("/volunteer/thanks/<uuid:submission_id>")
def volunteer_thanks(submission_id: uuid.UUID) -> str:
    """What happens after signing up: references, a conversation, training."""
    return _thanks("volunteer_thanks.html", "volunteer", submission_id)


def _for_whom(data: dict[str, Any]) -> dict[str, Any]:
    # A support worker's email counts only when they say they are asking for someone else.
    if request.form.get("asking") != "someone_else":
        data.pop("referrer_email", None)
    return data


@blp.route("/befriender", methods=["GET", "POST"])
def befriender() -> Response | tuple[str, int]:
    """Ask for a befriender, for yourself or for someone you support."""
    return _form_page(
        "befriender.html",
        NewcomerRequestSchema(),
        "newcomer",
        domain.newcomer_requested,
        {"asking": "myself"},
        _for_whom,
        _reached_by,
    )


def _reached_by(loaded: dict[str, Any]) -> dict[str, str]:
    # With a phone only, a coordinator calls instead of writing (ADR 39): the page says so.
    return {} if loaded.get("email") or loaded.get("referrer_email") else {"reach": "phone"}


@blp.get("/befriender/thanks/<uuid:submission_id>")
def newcomer_thanks(submission_id: uuid.UUID) -> str:
    """What happens after asking, and how long it may take: by email, or by a call."""
    by_phone = request.args.get("reach") == "phone"
    return _thanks("befriender_thanks.html", "newcomer", submission_id, by_phone=by_phone)


# Where each kind's own page is, for a person who found it by its reference.
_PAGES = {
    "volunteer": ".volunteer_thanks",
    "newcomer": ".newcomer_thanks",
    "registration": "event_pages.registration",
}


@blp.get("/status")
def find_reference() -> Response | tuple[str, int]:
    """A reference, typed or read out over the phone, leads to its page: the sign-up's or the
    request's, or the place's with where it stands."""
    given = request.args.get("reference")
    if given is None:
        return render_template("reference_finder.html", reference="", error=None), 200
    found = intake.by_reference(current_service().sessions, given)
    if len(found) != 1:
        error = (
            gettext("We cannot find this reference. Check it against our email.")
            if not found
            else gettext("Two requests share this reference. Please use the link in our email.")
        )
        return render_template("reference_finder.html", reference=given, error=error), 404
    [(kind, record_id)] = found
    key = "registration_id" if kind == "registration" else "submission_id"
    return redirect(url_for(_PAGES[kind], **{key: record_id}), code=303)
