"""Planning an email: a pending delivery, unless one for the same purpose exists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sanctuary.failures import PermanentError, describe
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import select

from notifications import domain
from notifications.adapters import mail
from notifications.adapters.models import Delivery, GroupCopy
from notifications.domain import invites, links


class GroupNotYetKnown(Exception):
    """An email's group (or the network's own) is not known here yet: the message is retried
    until group.created lands. No email goes out unsigned or without a contact."""


def keep_newest(uow: UnitOfWork, model: type[Any], key: uuid.UUID, fields: dict[str, Any]) -> None:
    """Keep a copy of another service's record (an event, a group) as the newest fact says
    it stands: an older version arriving late (a lower `sequence`) changes nothing."""
    copy = uow.session.get(model, key)
    if copy is not None and copy.sequence > fields["sequence"]:
        return
    if copy is None:
        uow.session.add(model(id=key, **fields))
    else:
        for name, value in fields.items():
            setattr(copy, name, value)


def signature(uow: UnitOfWork, group_id: uuid.UUID | None) -> dict[str, object]:
    """Who signs an email to someone of `group_id`: that group, or the network's own group
    for someone no local group covers yet."""
    with uow.session.no_autoflush:
        if group_id is not None:
            group = uow.session.get(GroupCopy, group_id)
        else:
            group = uow.session.scalar(select(GroupCopy).where(GroupCopy.network.is_(True)))
    if group is None:
        raise GroupNotYetKnown(str(group_id or "the network's group"))
    return domain.signature(group.name, group.contact, local=group_id is not None)


def plan(uow: UnitOfWork, email: domain.PlannedEmail) -> None:
    """Record `email` as pending, rendered, unless an email for the same purpose exists."""
    if not uow.batched and _planned_already(uow, email.dedupe_key):
        return
    delivery_id = uuid.uuid4()
    context = {**email.context, "locale": email.locale, "group": signature(uow, email.group_id)}
    try:
        # Rendered once, here: an email that can never be rendered parks its message with the
        # reason (to be replayed after the fix) instead of failing in the mailer, and the mailer
        # only puts the words into MIME. The secret links are marks until then.
        marks = links.link_marks(delivery_id, email.template, context)
        rendered = mail.render_parts(email.template, {**context, **marks})
        if context.get("calendar_method"):
            invites.check(context["event"])
    except Exception as exc:  # rendering is pure: any error would happen every time
        raise PermanentError(f"cannot render {email.template}: {describe(exc)}") from exc
    now = datetime.now(UTC)
    uow.insert(
        Delivery,
        id=delivery_id,
        dedupe_key=email.dedupe_key,
        template=email.template,
        to_address=email.to_address,
        locale=email.locale,
        # The language travels with the context too: rendering needs nothing else.
        context=context,
        rendered=rendered.as_json(),
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error=None,
        correlation_id=uow.correlation_id,
        created_at=now,
        sent_at=None,
        group_id=email.group_id,
    )


def _planned_already(uow: UnitOfWork, dedupe_key: str) -> bool:
    """Whether an email for this purpose exists. Skipped in a worker's batch: there the unique
    dedupe key makes a second one fail the batch's commit, and the consumer applies the batch
    again one message at a time, when this lookup runs (ADR 0019). A batch's rows are thus
    inserted together at commit, with no lookup a message."""
    # Without flushing what this transaction added: another lookup does that if it must.
    with uow.session.no_autoflush:
        found = uow.session.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key))
    return found is not None
