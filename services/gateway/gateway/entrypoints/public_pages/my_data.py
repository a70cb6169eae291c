"""A person's own data, as pages (ADR 0026, 27, 29): `/my-data` asks for a link by email
(always the same "check your email" answer); the emailed link shows what every part of the
system holds in plain words, downloads it as JSON, corrects it, chooses the optional emails,
pauses and resumes, withdraws the special-category consent, and erases it all; the
erasure's page follows it, looking again by itself every 2 seconds until it is complete. No
JavaScript.

An unknown, forged or expired link gets one 404 page, which offers the form to ask again.
The address of these pages holds the secret token: requests made from them carry only the
site's origin as Referer, and nothing of them is cached.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from sanctuary.vocabulary import EmailCategory
from sanctuary.web import current_service
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from gateway.adapters.upstream import UpstreamUnavailable
from gateway.domain import corrections
from gateway.domain.my_data import summary
from gateway.entrypoints.public_api import my_data as api
from gateway.entrypoints.public_pages import my_data_words as words
from gateway.entrypoints.public_pages import people
from gateway.entrypoints.public_pages.forms import N_, field_messages, schema_input
from gateway.entrypoints.site import language
from gateway.service_layer import my_data, privacy

blp = Blueprint("my_data_pages", __name__)

# How long the erasure's page waits before it looks again by itself.
REFRESH_SECONDS = 2
# The pages whose address holds a token.
WITH_TOKEN = frozenset(
    ("view", "download", "correct", "withdraw_special", "pause", "erase", "erasure")
)
UNDERSTOOD = "understood"
# What the page says after a change, named in its address (`?changed=`).
CORRECTED, SAME, PAUSED, RESUMED = "details", "nothing", "paused", "resumed"
WITHDRAWN = "withdrawn"
NOT_UNDERSTOOD = N_("Tick the box to say you understand that this cannot be undone.")


@blp.errorhandler(UpstreamUnavailable)
def _unavailable(_exc: UpstreamUnavailable) -> tuple[str, int, dict[str, str]]:
    return render_template("error.html", status=503), 503, {"Retry-After": "30"}


@blp.errorhandler(my_data.LinkGone)
def _gone(_exc: my_data.LinkGone) -> tuple[str, int]:
    return _ask_page(gone=True), 404


@blp.after_app_request
def _private(response: Response) -> Response:
    """The token stays out of Referer headers and caches. An app-wide hook, registered with
    the blueprint before site.install, so it runs after flask-talisman (as the cancel
    page's does)."""
    if request.endpoint in {f"{blp.name}.{page}" for page in WITH_TOKEN}:
        response.headers["Referrer-Policy"] = "strict-origin"
        response.headers["Cache-Control"] = "no-store"
    return response


def _ask_page(*, gone: bool = False, values: object = None, errors: object = None) -> str:
    return render_template(
        "my_data.html",
        gone=gone,
        values=values or {},
        errors=errors or {},
        minutes=api.link_minutes(),
    )


@blp.route("/my-data", methods=["GET", "POST"])
def ask() -> str | tuple[str, int]:
    """One email field and a button; the same answer for every valid address."""
    if request.method == "GET":
        return _ask_page()
    schema = api.LinkRequestSchema()
    try:
        data = schema.load(schema_input(schema, request.form, language()))
    except ValidationError as exc:
        return _ask_page(values=request.form, errors=field_messages(exc.messages)), 422
    api.ask_for_link(data["email"], data["locale"])
    return render_template("my_data_sent.html", minutes=api.link_minutes())


def _data_page(
    token: str,
    found: my_data.Opened,
    export: dict[str, Any],
    values: MultiDict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> str:
    now = corrections.current(export)
    return render_template(
        "my_data_view.html",
        token=token,
        email=found.link.email,
        sentences=words.sentences(summary(export)),
        current=now,
        values=values if values is not None else MultiDict(now.form()),
        errors=errors or {},
        changed=request.args.get("changed"),
        email_choices=words.email_choices(),
        **people.choices(),
    )


@blp.get("/my-data/<token>")
def view(token: str) -> str:
    """What every part of the system holds, in plain words; download; correct; pause; erase."""
    found = api.opened(token)
    return _data_page(token, found, api.exported(found))


@blp.post("/my-data/<token>/details")
def correct(token: str) -> Response | tuple[str, int]:
    """Correct the details and choose the emails; only what differs is sent on."""
    found = api.opened(token)
    export = privacy.export(found.person)
    now = corrections.current(export)
    try:
        asked = _details_input(request.form, now)
    except ValidationError as exc:
        errors = field_messages(exc.messages)
        return _data_page(token, found, export, values=request.form, errors=errors), 422
    different = corrections.differences(asked, now)
    if different:
        api.changed(found, different)
    return redirect(
        url_for(".view", token=token, changed=CORRECTED if different else SAME),
        code=303,
    )


def _details_input(form: MultiDict[str, str], now: corrections.Current) -> dict[str, Any]:
    """The details form, loaded as the API's body: the fields it shows (a sign-up's or
    request's details only to those who have one; a language at least), and every optional
    email ticked or not. ValidationError as the API would answer it."""
    shown: tuple[str, ...] = ("name",)
    if now.profile is not None:
        shown = ("name", "postcode", "availability", *(("languages",) if now.special else ()))
    schema = api.DetailsSchema(only=(*shown, "emails"))
    if now.special:
        schema.fields["languages"].required = True  # none ticked: say so, not "unchanged"
    body = schema_input(schema, form, language())
    ticked = form.getlist("emails")
    body["emails"] = {category: category in ticked for category in EmailCategory}
    loaded: dict[str, Any] = schema.load(body)
    return loaded


@blp.post("/my-data/<token>/special")
def withdraw_special(token: str) -> Response:
    """Withdraw the consent to use languages, gender and needs: every service removes them."""
    api.changed(api.opened(token), {"special_consent": False})
    return redirect(url_for(".view", token=token, changed=WITHDRAWN), code=303)


@blp.post("/my-data/<token>/pause")
def pause(token: str) -> Response:
    """Pause (not matched until they resume), or resume."""
    paused = request.form.get("paused") == "yes"
    api.changed(api.opened(token), {"paused": paused})
    changed = PAUSED if paused else RESUMED
    return redirect(url_for(".view", token=token, changed=changed), code=303)


@blp.get("/my-data/<token>/download")
def download(token: str) -> Response:
    """Everything held, as the JSON file the API gives (UK GDPR Art. 20)."""
    body = json.dumps(api.exported(api.opened(token)), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = "attachment; filename=my-data.json"
    return response


@blp.post("/my-data/<token>/erase")
def erase(token: str) -> Response | tuple[str, int]:
    """Erase everything, once the person has ticked that they understand; then follow it."""
    found = api.opened(token)
    if UNDERSTOOD not in request.form:
        errors = {UNDERSTOOD: gettext(NOT_UNDERSTOOD)}
        return _data_page(token, found, privacy.export(found.person), errors=errors), 422
    _, erasure_token = api.erased(found)
    return redirect(url_for(".erasure", erasure_token=erasure_token), code=303)


@blp.get("/my-data/erasures/<erasure_token>")
def erasure(erasure_token: str) -> str:
    """Each part of the system: still working, or done; looks again until all are done."""
    service = current_service()
    with service.sessions() as session:
        matrix = my_data.erasure_status(session, service.config.link_secret, erasure_token)
    if matrix is None:
        raise my_data.LinkGone()
    return render_template(
        "my_data_erasure.html",
        parts=words.parts(matrix),
        complete=matrix["status"] == privacy.COMPLETE,
        refresh=REFRESH_SECONDS,
    )
