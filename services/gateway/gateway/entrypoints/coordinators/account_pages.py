"""The dashboard's emails sent, personal tokens and audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from sanctuary.db import as_utc
from sanctuary.vocabulary import DeliveryStatus
from sanctuary.web import current_service, unit_of_work
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as Redirect

from gateway.entrypoints.coordinators.dashboard import audited, blp, fetch
from gateway.service_layer import staff


@blp.get("/deliveries")
@audited
def deliveries() -> str:
    """Emails, failures first (recipients' addresses shown: audited); ?status= filters."""
    status = request.args.get("status", "")
    query = {"status": status} if status in tuple(DeliveryStatus) else {}
    return render_template(
        "coordinator/deliveries.html",
        summary=fetch("notifications", "/internal/v1/deliveries/summary"),
        deliveries=fetch("notifications", "/internal/v1/deliveries", limit="200", **query),
        statuses=tuple(DeliveryStatus),
        status=query.get("status", ""),
    )


# Personal API tokens and the audit log.


def _tokens_page(**shown: Any) -> str:
    """Your tokens, each with when it stops working, and which have."""
    mine = staff.tokens_of(unit_of_work, g.principal.coordinator_id)
    now = datetime.now(UTC)
    expired = {t.id for t in mine if t.expires_at and as_utc(t.expires_at) <= now}
    return render_template("coordinator/tokens.html", tokens=mine, expired=expired, **shown)


@blp.get("/tokens")
def tokens() -> str:
    return _tokens_page()


@blp.post("/tokens")
def create_token() -> str:
    """A new personal token, shown on this one answer only."""
    name = request.form.get("name", "").strip() or "token"
    days = current_service().config.api_token_days  # type: ignore[attr-defined]
    issued = staff.issue_token(unit_of_work, g.principal.coordinator_id, name, days)
    return _tokens_page(new_token=issued.token, name=name, expires_at=issued.expires_at)


@blp.post("/tokens/<uuid:token_id>/revoke")
def revoke_token(token_id: uuid.UUID) -> Redirect:
    if not staff.revoke_token(unit_of_work, g.principal.coordinator_id, token_id):
        raise NotFound()
    flash("Token revoked: it no longer opens the API.", "ok")
    return redirect(url_for(".tokens"), code=303)


@blp.get("/audit")
def audit() -> str:
    records = staff.recent(unit_of_work, g.principal)
    return render_template("coordinator/audit.html", records=records)
