"""A person's own way to their data (ADR 0026), as JSON: ask for a link by email (always the
same answer), then with the emailed link's token see everything held (UK GDPR Art. 15 and
20), correct it, choose the emails, pause (Art. 16 and 18), erase it all (Art. 17) and follow
the erasure. No account and no bearer token: the
link, valid MY_DATA_LINK_MINUTES, is the key. The pages in `public_pages.my_data` share
these helpers."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sanctuary import fields as f
from sanctuary.problems import problem
from sanctuary.web import current_service, load_body, unit_of_work
from werkzeug.exceptions import NotFound

from gateway.domain import corrections
from gateway.entrypoints.coordinators import privacy_api
from gateway.entrypoints.public_api import openapi
from gateway.entrypoints.schemas import RequestSchema, preferred_language, strict_bool
from gateway.service_layer import my_data, privacy

blp = Blueprint(
    "my_data",
    __name__,
    url_prefix="/api/v1",
    description="A person's own data: ask for a link by email, then see, download or erase "
    "everything held about them (the emailed link is the key).",
)

SENT = (
    "If we hold anything about this address, we have emailed it a link, valid for "
    "{minutes} minutes."
)


class LinkRequestSchema(RequestSchema):
    email = f.email()
    locale = preferred_language()


class LinkRequestedSchema(Schema):
    message = fields.String(required=True)
    valid_minutes = fields.Integer(required=True)


class ErasureConsentSchema(RequestSchema):
    understood = strict_bool(
        validate=validate.Equal(True, error="Erasure cannot be undone: say so with true."),
        metadata={"description": "The person understands that erasure cannot be undone."},
    )


class EmailChoicesSchema(RequestSchema):
    """Which optional emails the person wants (true) or not (false); one left out stays."""

    reminders = f.StrictBoolean(metadata={"description": "Reminders before your events."})
    checkins = f.StrictBoolean(metadata={"description": "Check-ins about your match."})


class DetailsSchema(RequestSchema):
    """What the person changes (UK GDPR Art. 16 and 18): only the details given change."""

    name = f.optional(f.name())
    postcode = f.Postcode(metadata={"example": "LS6 1AA"})
    languages = f.optional(f.languages())
    availability = f.optional(f.availability())
    paused = f.StrictBoolean(
        metadata={
            "description": "true: you are not matched until false again (a volunteer is not "
            "proposed, a request waits)."
        }
    )
    emails = fields.Nested(EmailChoicesSchema)
    special_consent = f.StrictBoolean(
        validate=validate.Equal(False, error="Only false: the consent can be withdrawn here."),
        metadata={
            "description": "false: withdraw the consent to use your languages, gender and "
            "needs for matching; every service removes them (ADR 0029)."
        },
    )

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data or data == {"emails": {}}:
            raise ValidationError("Give at least one detail to change.", "_schema")


class ChangeAcceptedSchema(Schema):
    id = fields.UUID(required=True)
    message = fields.String(required=True)


CHANGED = "Every part of the system applies your change within a minute."


@blp.errorhandler(my_data.LinkGone)
def _gone(exc: my_data.LinkGone) -> Response:
    return problem(404, "Not Found", str(exc))


def link_minutes() -> int:
    """How long an emailed link works (MY_DATA_LINK_MINUTES)."""
    minutes: int = current_app.config["MY_DATA_LINK_MINUTES"]
    return minutes


def ask_for_link(email: str, locale: str) -> None:
    """Keep the address until its link expires and announce the request (the same work
    whoever the address belongs to)."""
    with unit_of_work() as uow:
        my_data.request_link(uow, email, locale, link_minutes())


def opened(token: str) -> my_data.Opened:
    """The link the token names and everything held about its address; LinkGone otherwise."""
    service = current_service()
    with service.sessions() as session:
        return my_data.open_link(privacy_api.ask, session, service.config.link_secret, token)


def exported(found: my_data.Opened) -> dict[str, Any]:
    """The export (the shape of coordinators' subject access), its access recorded."""
    with unit_of_work() as uow:
        request = my_data.record_access(uow, found, current_service().config.link_secret)
        request_id = str(request.id)
    return {"id": request_id, **privacy.export(found.person)}


def changed(found: my_data.Opened, asked: dict[str, Any]) -> str:
    """Announce the person's change, recorded as their request: its id."""
    now = corrections.current(privacy.export(found.person))
    with unit_of_work() as uow:
        secret = current_service().config.link_secret
        request = my_data.change(uow, found, secret, corrections.change(asked, now))
        return str(request.id)


def erased(found: my_data.Opened) -> tuple[str, str]:
    """Erase the person everywhere: the erasure's id, and the token of its status page."""
    secret = current_service().config.link_secret
    with unit_of_work() as uow:
        request = my_data.erase(uow, found, secret)
    return str(request.id), my_data.status_token(secret, request)


@blp.route("/my-data/requests", methods=["POST"])
@openapi.documented(
    blp,
    400,
    413,
    422,
    429,
    summary="Ask for a link to your own data, emailed to the address if we hold anything "
    "about it: always the same answer",
    requestBody=openapi.body(LinkRequestSchema, required=True),
    responses=openapi.ok(LinkRequestedSchema, 202, "Accepted: a link is emailed if held"),
)
def request_link() -> tuple[Response, int]:
    data = load_body(LinkRequestSchema())
    ask_for_link(data["email"], data["locale"])
    minutes = link_minutes()
    return jsonify({"message": SENT.format(minutes=minutes), "valid_minutes": minutes}), 202


@blp.route("/my-data/<token>", methods=["GET"])
@openapi.documented(
    blp,
    404,
    503,
    summary="Everything held about you, service by service (UK GDPR Art. 15 and 20), with "
    "the emailed link's token",
    responses=openapi.ok(privacy_api.ExportSchema),
)
def export(token: str) -> Response:
    return jsonify(exported(opened(token)))


@blp.route("/my-data/<token>", methods=["PATCH"])
@openapi.documented(
    blp,
    400,
    404,
    413,
    422,
    429,
    503,
    summary="Correct your details, choose your emails, or pause and resume (UK GDPR Art. 16 "
    "and 18): 202, applied everywhere within a minute",
    requestBody=openapi.body(DetailsSchema, required=True),
    responses=openapi.ok(ChangeAcceptedSchema, 202, "Accepted: every service applies it"),
)
def change(token: str) -> tuple[Response, int]:
    asked = load_body(DetailsSchema())
    return jsonify({"id": changed(opened(token), asked), "message": CHANGED}), 202


@blp.route("/my-data/<token>/erasure", methods=["POST"])
@openapi.documented(
    blp,
    400,
    404,
    413,
    422,
    429,
    503,
    summary="Erase everything held about you (UK GDPR Art. 17): 202 with the status URL",
    requestBody=openapi.body(ErasureConsentSchema, required=True),
    responses=openapi.ok(
        privacy_api.ErasureAcceptedSchema,
        202,
        "Accepted: every service erases you, and a last email confirms it",
    ),
)
def request_erasure(token: str) -> tuple[Response, int, dict[str, str]]:
    load_body(ErasureConsentSchema())
    request_id, erasure_token = erased(opened(token))
    status_url = url_for("my_data.erasure_status", erasure_token=erasure_token)
    body = {"id": request_id, "status": privacy.PENDING, "status_url": status_url}
    return jsonify(body), 202, {"Location": status_url}


@blp.route("/my-data/erasures/<erasure_token>", methods=["GET"])
@openapi.documented(
    blp,
    404,
    summary="Your erasure's progress: one row per part of the system; complete when all are done",
    responses=openapi.ok(privacy_api.MatrixSchema),
)
def erasure_status(erasure_token: str) -> Response:
    service = current_service()
    with service.sessions() as session:
        found = my_data.erasure_status(session, service.config.link_secret, erasure_token)
    if found is None:
        raise NotFound("No such erasure.")
    return jsonify(found)
