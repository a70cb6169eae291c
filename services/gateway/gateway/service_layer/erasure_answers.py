"""What the gateway's worker hears about erasures (ADR 0025, ADR 0028): each service's answer
fills its row of the completion matrix; an erasure a service started itself (the retention
schedule) is recorded as if asked here, so it is followed, shown and alerted on the same way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sanctuary.contracts import ErasureRequested, PersonErased
from sanctuary.erasure import again, keys_of_request
from sanctuary.erasure_records import purge_outbox
from sanctuary.unit_of_work import UnitOfWork
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.adapters.models import ErasureProgress, Outbox, PrivacyRequest
from gateway.service_layer import privacy

log = logging.getLogger(__name__)
# How an erasure a service started (retention, or a log announced again after a restore) is
# recorded: by whom, and why when it does not say.
VIA = "service"
REASON = "asked by a service"


class ErasureNotYetKnown(LookupError):
    """An answer to an erasure this gateway has not recorded yet (one a service started,
    whose request is still on its way): tried again after a delay, parked if it never is."""


def on_erasure_requested(request: ErasureRequested, uow: UnitOfWork, *, secret: str) -> None:
    """Record an erasure a service asked for, and erase the gateway's own outbox rows about
    the person; one the gateway asked for itself is recorded already."""
    if uow.session.get(PrivacyRequest, request.erasure_id) is not None:
        return
    keys = keys_of_request(request)
    recorded = PrivacyRequest(
        id=request.erasure_id,
        kind=privacy.ERASURE,
        subject=request.subject,
        ids=sorted(keys.ids),
        reason=request.reason or REASON,
        requested_by=None,
        via=VIA,
        group_ids=[],
        requested_at=request.requested_at,
        completed_at=None,
    )
    uow.session.add(recorded)
    uow.session.flush()
    purged = purge_outbox(uow.session, Outbox, keys, secret)
    privacy.start_matrix(uow.session, recorded, {"outbox_messages": purged})


def logged_since(session: Session, moment: datetime) -> list[ErasureRequested]:
    """The erasures asked since `moment`, as `erasures reapply` announces them again."""
    found = session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.kind == privacy.ERASURE, PrivacyRequest.requested_at >= moment)
        .order_by(PrivacyRequest.requested_at)
    )
    return [again(r.id, r.subject, r.ids, r.requested_at) for r in found]


def on_person_erased(event: PersonErased, uow: UnitOfWork) -> None:
    """A service has erased the person: its row of the matrix is done; the request is
    complete once every service's is."""
    rows = {
        row.service: row
        for row in uow.session.query(ErasureProgress).filter_by(erasure_id=event.erasure_id)
    }
    row = rows.get(event.service)
    if not rows:
        raise ErasureNotYetKnown(str(event.erasure_id))
    if row is None:
        log.warning(
            "an answer from a service this erasure did not ask",
            extra={"erasure_id": str(event.erasure_id), "service": event.service},
        )
        return
    row.status, row.counts, row.kept = privacy.DONE, dict(event.counts), dict(event.kept)
    row.done_at = event.erased_at
    if all(r.status == privacy.DONE for r in rows.values()):
        request = uow.session.get(PrivacyRequest, event.erasure_id)
        if request is not None and request.completed_at is None:
            request.completed_at = datetime.now(UTC)
