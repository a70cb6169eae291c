"""The dashboard's Safeguarding pages (ADR 45): the concerns a lead may open, and each case
file with its acknowledgement, actions, referrals and closing. The group's lead and deputy
and the network's lead only: anyone else sees that the pages are theirs, and a case file's
page answers them 404; every opening of a case file and every refusal is audited."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sanctuary.safeguarding_words import ConcernEntryKind
from sanctuary.web import current_service
from werkzeug.exceptions import Conflict, NotFound
from werkzeug.wrappers import Response as Redirect

from gateway.entrypoints.concern_schemas import ClosingSchema, EntrySchema
from gateway.entrypoints.coordinators.concerns_api import caller_roles, case_view, paused
from gateway.entrypoints.coordinators.dashboard import audited, blp
from gateway.service_layer import concerns
from gateway.service_layer import groups as group_registry


@blp.get("/concerns")
def concern_list() -> str:
    with current_service().sessions() as session:
        roles = caller_roles(session)
        shown = [case_view(c) for c in concerns.visible(session, roles)]
    names = {
        str(group.id): group.name for group in group_registry.every(current_service().sessions)
    }
    return render_template(
        "coordinator/concerns.html",
        concerns=shown,
        names=names,
        lead=bool(roles.leads) or roles.network_lead,
    )


@blp.get("/concerns/<uuid:concern_id>")
@audited
def case_file(concern_id: uuid.UUID) -> str:
    with current_service().sessions() as session:
        try:
            concern = concerns.opened(session, concern_id, caller_roles(session))
        except concerns.ConcernNotFound:
            raise NotFound() from None
        shown = case_view(concern, concerns.entries(session, concern.id))
    return render_template("coordinator/concern.html", concern=shown, kinds=tuple(ConcernEntryKind))


@blp.post("/concerns/<uuid:concern_id>/<any(acknowledge, entries, close, pause, resume):step>")
def case_step(concern_id: uuid.UUID, step: str) -> Redirect:
    """One step of a case file, from its page's forms (POST-redirect-GET)."""
    back = url_for(".case_file", concern_id=concern_id)
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    try:
        with current_service().unit_of_work() as uow:
            roles = caller_roles(uow.session)
            if step == "acknowledge":
                concerns.acknowledge(uow, concern_id, roles)
                said = "Taken in hand."
            elif step == "entries":
                entry = EntrySchema().load(form)
                concerns.add_entry(uow, concern_id, roles, entry, g.principal.coordinator_id)
                said = "Added to the case file."
            elif step in ("pause", "resume"):
                paused(uow, concern_id, roles, step, form.get("note"))
                said = f"Match {step}d."
            else:
                closing = ClosingSchema().load(form)
                concerns.close(
                    uow, concern_id, roles, closing["outcome"], closing["closure_reason"]
                )
                said = "Closed."
        flash(said, "ok")
    except concerns.ConcernNotFound:
        raise NotFound() from None
    except (
        ValidationError,
        Conflict,
        concerns.NotAboutAMatch,
        concerns.MatchUnchanged,
        concerns.rules.CaseClosed,
        concerns.rules.OutcomeNeeded,
    ) as exc:
        flash(_said(exc), "error")
    return redirect(back, code=303)


def _said(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(
            f"{field}: {' '.join(map(str, why))}" for field, why in exc.messages.items()
        )  # type: ignore[union-attr]
    return str(getattr(exc, "description", None) or exc)
