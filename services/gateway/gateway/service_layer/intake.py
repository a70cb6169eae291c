"""Accepting a public write: the submission, its outbox message and the idempotent answer are
committed in one transaction, so a crash either keeps all three or none."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sanctuary import references
from sanctuary.db import SessionFactory
from sanctuary.unit_of_work import UnitOfWorkFactory
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import domain
from gateway.adapters.models import IdempotentResponse, Submission

KEY_MAX = 200
log = logging.getLogger(__name__)


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a different request body."""


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key with the scope it applies to and the request it stands for."""

    scope: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, scope: str, key: str, body: Any) -> Idempotency:
        """Fingerprint the request body as canonical JSON, so key order does not matter."""
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return cls(scope, key, hashlib.sha256(canonical.encode()).hexdigest())


def accept(
    units: UnitOfWorkFactory,
    kind: str,
    announce: Callable[[uuid.UUID, datetime], Any],
    *,
    idempotency: Idempotency | None = None,
    prepare: Callable[[Session], Any] | None = None,
) -> dict[str, str]:
    """Record a submission of `kind` and the message `announce` makes; returns the 202 body.
    `prepare`, when given, reads what the message needs first, in the same transaction (the
    sign-up's group: one connection and one transaction a request, not two)."""
    try:
        with units() as uow:
            session, correlation_id = uow.session, uow.correlation_id
            earlier = _earlier_answer(session, idempotency)
            if earlier is not None:
                return earlier
            if prepare is not None:
                prepare(session)
            submission_id, now = uuid.uuid4(), datetime.now(UTC)
            session.add(Submission(id=submission_id, kind=kind, accepted_at=now))
            uow.publish(announce(submission_id, now))
            body = {
                "id": str(submission_id),
                "reference": references.of(submission_id),
                "status_url": domain.status_url(kind, submission_id),
            }
            if idempotency is not None:
                session.add(
                    IdempotentResponse(
                        scope=idempotency.scope,
                        key=idempotency.key,
                        fingerprint=idempotency.fingerprint,
                        status=202,
                        body=body,
                        created_at=now,
                    )
                )
    except IntegrityError:
        # Two requests with one key raced; the other committed first: answer as it did.
        with units() as uow:
            earlier = _earlier_answer(uow.session, idempotency)
        if earlier is None:
            raise
        return earlier
    # Logged after the commit: the id and the correlation id, never what the person typed.
    log.info(
        "accepted %s", kind, extra={"submission_id": body["id"], "correlation_id": correlation_id}
    )
    return body


def _earlier_answer(session: Session, idempotency: Idempotency | None) -> dict[str, str] | None:
    if idempotency is None:
        return None
    record = session.get(IdempotentResponse, (idempotency.scope, idempotency.key))
    if record is None:
        return None
    if record.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReused()
    # An answer kept from before references existed gains its reference: the id's own.
    return {**record.body, "reference": references.of(uuid.UUID(record.body["id"]))}


def by_reference(sessions: SessionFactory, reference: str) -> list[tuple[str, uuid.UUID]]:
    """The kind and id of every submission with this reference (as a person typed it); none
    when it is not one. Two, rarely, when two ids share their first 40 bits."""
    value = references.prefix(reference)
    if value is None:
        return []
    low, high = references.id_range(value)
    with sessions() as session:
        found = session.execute(
            select(Submission.kind, Submission.id).where(Submission.id.between(low, high))
        )
        return [(kind, submission_id) for kind, submission_id in found]


def submission_exists(sessions: SessionFactory, kind: str, submission_id: uuid.UUID) -> bool:
    """Whether the gateway accepted a submission of `kind` with this id."""
    with sessions() as session:
        submission = session.get(Submission, submission_id)
        return submission is not None and submission.kind == kind
