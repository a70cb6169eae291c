"""Local groups under /api/v1/groups: anyone may list them and find theirs from a postcode;
network admins (bearer) create and change them."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sanctuary import fields as f
from sanctuary.web import current_service, invalid, load_body, unit_of_work
from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.wrappers import Response

from gateway.entrypoints import auth
from gateway.entrypoints.public_api.openapi import body, documented, ok
from gateway.entrypoints.schemas import GroupChangesSchema, GroupOutSchema, GroupSchema
from gateway.service_layer import groups

blp = Blueprint("groups", __name__, url_prefix="/api/v1", description="Local groups")
admin = Blueprint(
    "group_admin", __name__, url_prefix="/api/v1", description="Local groups: network admins"
)
BEARER = {"BearerAuth": []}
POSTCODE = {"in": "query", "name": "postcode", "required": True, "schema": {"type": "string"}}


@admin.before_request
def _network_admins_only() -> None:
    auth.require_bearer()
    if not g.principal.network_admin:
        raise Forbidden("Network admins only: a coordinator cannot create or change groups.")


admin.after_request(auth.audit_request("api"))


def postcode_argument() -> str | None:
    """?postcode= normalised ("s1 2ab" is "S1 2AB"); a 422 naming it when it is not a UK
    postcode, None when it is not given."""
    given = request.args.get("postcode")
    if given is None:
        return None
    try:
        return str(f.Postcode(required=True).deserialize(given))
    except ValidationError as exc:
        raise invalid({"postcode": exc.messages}, "Give a UK postcode, such as S1 2AB.") from None


@blp.route("/groups", methods=["GET"])
@documented(blp, summary="Every local group, by name", responses=ok(GroupOutSchema(many=True)))
def every_group() -> Response:
    return jsonify([group.public() for group in groups.every(current_service().sessions)])


@blp.route("/groups/lookup", methods=["GET"])
@documented(
    blp,
    404,
    422,
    summary="The local group of a postcode (?postcode=S1 2AB); 404 when none covers it yet",
    parameters=[POSTCODE],
    responses=ok(GroupOutSchema),
)
def lookup() -> Response:
    postcode = postcode_argument()
    if postcode is None:
        raise invalid({"postcode": ["Give a postcode."]}, "Give a UK postcode, such as S1 2AB.")
    found = groups.for_postcode(current_service().sessions, postcode)
    if found is None:
        raise NotFound(
            f"There is no local group in {f.postcode_district(postcode)} yet. You can still "
            "sign up or ask for a befriender: the network will be in touch."
        )
    return jsonify(found.public())


@blp.route("/groups/<slug>", methods=["GET"])
@documented(blp, 404, summary="One local group", responses=ok(GroupOutSchema))
def one_group(slug: str) -> Response:
    found = groups.by_slug(current_service().sessions, slug)
    if found is None:
        raise NotFound(f"No local group has the slug {slug!r}.")
    return jsonify(found.public())


@admin.route("/groups")
class Groups(MethodView):
    @documented(
        admin,
        400,
        401,
        403,
        409,
        422,
        summary="Create a local group (network admins): slug, name, contact, areas, timezone",
        security=[BEARER],
        requestBody=body(GroupSchema, required=True),
        responses=ok(GroupOutSchema, 201, "Created"),
    )
    def post(self) -> tuple[dict[str, Any], int]:
        made = groups.create(unit_of_work, load_body(GroupSchema()))
        return made.public(), 201


@admin.route("/groups/<slug>")
class Group(MethodView):
    @documented(
        admin,
        400,
        401,
        403,
        404,
        409,
        422,
        summary="Change a group's name, contact, areas, timezone, description, or its "
        "safeguarding lead and deputy (network admins)",
        security=[BEARER],
        requestBody=body(GroupChangesSchema, required=True),
        responses=ok(GroupOutSchema),
    )
    def patch(self, slug: str) -> dict[str, Any]:
        changes = load_body(GroupChangesSchema())
        roles = ("safeguarding_lead", "safeguarding_deputy")
        leads = {role: changes.pop(role) for role in roles if role in changes}
        return groups.update(unit_of_work, slug, changes, leads).public()
