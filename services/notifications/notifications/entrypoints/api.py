"""The notifications service's internal HTTP API (it needs the service credential)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from sanctuary import erasure_records, tally_route
from sanctuary.bodies.privacy import SubjectSchema
from sanctuary.problems import problem
from sanctuary.scope import listed_groups
from sanctuary.vocabulary import DeliveryStatus
from sanctuary.web import (
    current_service,
    invalid,
    load_body,
    require_service_token,
    unit_of_work,
)
from sqlalchemy import and_, case, func, select

from notifications import domain
from notifications.adapters.models import Delivery, Tally
from notifications.config import NotificationsConfig
from notifications.domain import links
from notifications.service_layer import subject_access, unsubscribes

blueprint = Blueprint("notifications_internal", __name__, url_prefix="/internal/v1")
require_service_token(blueprint)
tally_route.add(blueprint, Tally)


def _of_visible_groups(statement: Any) -> Any:
    """`statement` narrowed to the groups asked for (?group_id=) that the caller may see
    (X-Groups); every group's emails for a network admin who asks for none."""
    groups = listed_groups()
    return statement if groups is None else statement.where(Delivery.group_id.in_(groups))


@blueprint.get("/deliveries/summary")
def deliveries_summary() -> Response:
    """How many emails are pending, sent and failed: what an operator checks first."""
    statement = _of_visible_groups(select(Delivery.status, func.count()))
    with current_service().sessions() as session:
        rows = session.execute(statement.group_by(Delivery.status))
        counts = {DeliveryStatus.PENDING: 0, DeliveryStatus.SENT: 0, DeliveryStatus.FAILED: 0} | {
            status: n for status, n in rows
        }
    return jsonify(counts)


class DeliveryQuery(Schema):
    """?recipient=&status=&limit=&offset= of the coordinators' delivery view."""

    recipient = fields.Email(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(DeliveryStatus)))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


def _status_is(status: str) -> Any:
    """The rows a shown status stands for (`retrying` and `pending` are both pending rows)."""
    waiting = Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))
    if status == DeliveryStatus.RETRYING:
        return and_(waiting, Delivery.attempts > 0)
    if status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        return and_(Delivery.status == status, Delivery.attempts == 0)
    return Delivery.status == status


@blueprint.get("/deliveries")
def list_deliveries() -> Response:
    """Deliveries, failures first, then the newest; by recipient and shown status."""
    try:
        args = {k: v for k, v in request.args.items() if k != "group_id"}
        query: dict[str, Any] = DeliveryQuery().load(args)
    except ValidationError as exc:
        raise invalid(exc.messages, "The query has invalid parameters.") from None
    statement = _of_visible_groups(select(Delivery))
    if query["recipient"]:
        statement = statement.where(Delivery.to_address == query["recipient"])
    if query["status"]:
        statement = statement.where(_status_is(query["status"]))
    failures_first = case((Delivery.status == DeliveryStatus.FAILED, 0), else_=1)
    statement = (
        statement.order_by(failures_first, Delivery.created_at.desc(), Delivery.id)
        .limit(query["limit"])
        .offset(query["offset"])
    )
    with current_service().sessions() as session:
        return jsonify([_delivery_view(d) for d in session.scalars(statement)])


def _delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.id),
        "template": delivery.template,
        "recipient": delivery.to_address,
        "status": domain.shown_status(delivery.status, delivery.attempts),
        "attempts": delivery.attempts,
        "last_reply": delivery.last_error,
        "created_at": delivery.created_at.isoformat(),
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
        "group_id": delivery.group_id and str(delivery.group_id),
    }


def _secret() -> str:
    config = current_service().config
    assert isinstance(config, NotificationsConfig)
    return config.link_secret


@blueprint.post("/unsubscribes/<token>")
def unsubscribe(token: str) -> Response:
    """Record a one-click unsubscribe (RFC 8058); the same click twice changes nothing."""
    found = links.unsubscribe_request(_secret(), token)
    if found is None:
        return problem(404, "Not Found", "This unsubscribe link is not one of ours.")
    hashed, category = found
    with unit_of_work() as uow:
        unsubscribes.record(uow, hashed, category)
    return jsonify({"category": category, "unsubscribed": True})


@blueprint.delete("/unsubscribes")
def forget_address() -> Response:
    """Erase what the unsubscribe list holds for ?address= (its hash, every category)."""
    try:
        address = fields.Email().deserialize(request.args.get("address"))
    except ValidationError as exc:
        raise invalid({"address": exc.messages}, "The query has invalid parameters.") from None
    with unit_of_work() as uow:
        gone = unsubscribes.forget(uow, links.address_hash(_secret(), address))
    return jsonify({"erased": gone})


@blueprint.post("/subjects")
def subject() -> Response:
    """Every row about one person, for a subject-access request or before their erasure
    (ADR 0025). Not filtered by groups: it is about one person and must be whole; the
    gateway decides who may see it by the group_ids answered. The address comes in the body
    only, never in a URL or a log line."""
    data = load_body(SubjectSchema())
    ids = [*data["volunteer_ids"], *data["newcomer_ids"], *data["registration_ids"]]
    service = current_service()
    with service.sessions() as session:
        found = subject_access.export(session, _secret(), data["email"], ids)
    found = erasure_records.with_queued(found, service.config, data["email"], ids)
    return jsonify({"service": "notifications", **found})
