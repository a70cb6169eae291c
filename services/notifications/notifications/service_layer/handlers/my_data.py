"""A person's own way to their data (/my-data, ADR 0026): the email with the link, sent only
to an address notifications holds, so the page that asked never says who is registered.

Nothing here logs the address: the link id is enough to trace a request.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from sanctuary.contracts import DataLinkRequested
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifications.adapters.models import Delivery, Person, Registrant
from notifications.domain import privacy
from notifications.service_layer.handlers.planning import GroupNotYetKnown, plan

log = logging.getLogger(__name__)


class HeldRowsInBatch(Exception):
    """No row holds the address, but rows of this worker's batch are not written yet (one may
    be theirs): the batch is applied again one message at a time, where none is held."""


def on_data_link_requested(fact: DataLinkRequested, uow: UnitOfWork) -> None:
    """Email the link to their own data if the address is held here (a person, a registrant,
    or an email sent to it and not erased); send nothing otherwise, and nothing for a link
    that has expired already. Signed by their group, else the network's."""
    trace = {"link_id": str(fact.link_id), "correlation_id": uow.correlation_id}
    if privacy.link_expired(fact, datetime.now(UTC)):
        log.info("data link expired before its email: no link sent", extra=trace)
        return
    holder = holder_of(uow.session, fact.email.strip().lower())
    if holder is None:
        if uow.batch_rows:
            raise HeldRowsInBatch(str(fact.link_id))
        log.info("no data held: no link sent", extra=trace)
        return
    email = privacy.data_link(fact, holder)
    try:
        plan(uow, email)
    except GroupNotYetKnown:
        if email.group_id is None:
            raise  # not even the network's group is known yet: retried until it is
        plan(uow, replace(email, group_id=None))


def holder_of(session: Session, address: str) -> privacy.Holder | None:
    """Who holds `address` (lower-cased) here: a person's row first, then a registrant's
    (each signed by their group), then an email sent to it that is not erased (signed by the
    network's group); None when nothing is held."""
    with session.no_autoflush:
        person = session.scalar(select(Person).where(func.lower(Person.email) == address).limit(1))
        if person is not None:
            return privacy.Holder(person.name, person.group_id)
        registrant = session.scalar(
            select(Registrant).where(func.lower(Registrant.email) == address).limit(1)
        )
        if registrant is not None:
            return privacy.Holder(registrant.name, registrant.group_id)
        delivery = session.scalar(
            select(Delivery)
            .where(
                func.lower(Delivery.to_address) == address,
                Delivery.status != DeliveryStatus.ERASED,
            )
            .order_by(Delivery.created_at.desc())
            .limit(1)
        )
    if delivery is None:
        return None
    context = delivery.context or {}
    # An email to a referrer or to a group's contact names someone else, not the reader.
    theirs = not context.get("referred") and context.get("role") != "coordinator"
    return privacy.Holder(str(context.get("name") or "") if theirs else "", None)
