"""Inviting a coordinator from the dashboard, and the page the emailed link opens: the
invited person sets their password there, once, within 72 hours (no shell needed)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sanctuary.links import is_invitation_token
from sanctuary.web import current_service, unit_of_work
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from gateway.domain import accounts
from gateway.entrypoints.coordinators.dashboard import OPEN_VIEWS, blp
from gateway.entrypoints.coordinators.group_pages import my_groups
from gateway.entrypoints.schemas import InvitationSchema
from gateway.service_layer import invitations, staff
from gateway.service_layer.groups import NoSuchGroup

OPEN_VIEWS.add(f"{blp.name}.accept_invitation")


@blp.get("/invite")
def invite_form() -> str:
    return render_template("coordinator/invite.html", groups=my_groups(), values={})


@blp.post("/invite")
def invite() -> Response | tuple[str, int]:
    """Invite someone to coordinate some of the caller's groups (any, for a network admin)."""
    form = request.form
    try:
        wanted = InvitationSchema().load(
            {
                "email": form.get("email", ""),
                "name": form.get("name", ""),
                "groups": form.getlist("groups"),
                "network_admin": "network_admin" in form,
            }
        )
        made = invitations.invite(
            unit_of_work,
            g.principal,
            wanted["email"],
            wanted["name"],
            wanted["groups"],
            network_admin=wanted["network_admin"],
        )
    except ValidationError as exc:
        return _refused(form, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.messages.items()))
    except (NoSuchGroup, staff.AlreadyExists, invitations.NotAllowed) as exc:
        return _refused(form, str(exc))
    flash(f"Invitation sent to {made.email}; the link works for 72 hours.", "ok")
    return redirect(url_for(".invite_form"), code=303)


def _refused(form: Any, error: str) -> tuple[str, int]:
    page = render_template("coordinator/invite.html", groups=my_groups(), values=form, error=error)
    return page, 422


@blp.route("/invitations/<uuid:invitation_id>/<token>", methods=["GET", "POST"])
def accept_invitation(invitation_id: uuid.UUID, token: str) -> Response | tuple[str, int]:
    """Set a password and become a coordinator; the link works once."""
    if not is_invitation_token(current_service().config.link_secret, invitation_id, token):
        raise NotFound()
    try:
        invitation = invitations.pending(unit_of_work, invitation_id)
    except invitations.InvitationGone as exc:
        return render_template("coordinator/invitation_gone.html", reason=str(exc)), 410
    if request.method == "GET":
        return render_template("coordinator/accept.html", invitation=invitation, error=None), 200
    password = request.form.get("password", "")
    error = None if password == request.form.get("again") else "The two passwords differ."
    if error is None:
        try:
            invitations.accept(unit_of_work, invitation_id, password)
        except accounts.WeakPassword as exc:
            error = str(exc)
        except invitations.InvitationGone as exc:
            return render_template("coordinator/invitation_gone.html", reason=str(exc)), 410
    if error:
        page = render_template("coordinator/accept.html", invitation=invitation, error=error)
        return page, 422
    flash("Welcome: your account is ready. Sign in with your email and new password.", "ok")
    return redirect(url_for(".login"), code=303)
