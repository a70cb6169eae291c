"""A person's own way to their data (ADR 0026): ask for a link by email, open it, see and
download what every service holds, erase it all, and follow the erasure.

Asking always does the same work and gets the same answer, whoever the address belongs to:
notifications alone decides whether to send the link (it writes only to addresses it holds).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sanctuary.contracts import DataLinkRequested, DetailsChanged
from sanctuary.erasure import aware
from sanctuary.links import data_link_id, erasure_status_id, erasure_status_token
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import Locale, PrivacyRight
from sqlalchemy.orm import Session

from gateway.adapters.models import DataLink, PrivacyRequest
from gateway.service_layer import data_links, privacy

# How the person's own requests are recorded: by themselves, through these pages.
VIA = "self"
REASON = "asked by the person"
CORRECTION, RESTRICTION = PrivacyRight.CORRECTION, PrivacyRight.RESTRICTION


class LinkGone(LookupError):
    """The link is unknown, forged or expired: the same answer for all three."""

    def __init__(self) -> None:
        super().__init__("This link has expired or is not valid: ask for a new one.")


@dataclass(frozen=True)
class Opened:
    """A valid link, and everything held about the address it was asked for."""

    link: DataLink
    person: privacy.Person


def request_link(
    uow: UnitOfWork, email: str, locale: str, minutes: int, now: datetime | None = None
) -> DataLink:
    """Keep the address until the link expires and announce the request, in one unit of
    work; notifications emails the link if it holds the address, and nothing otherwise."""
    now = now or datetime.now(UTC)
    link = DataLink(
        id=uuid.uuid4(),
        email=email.strip().lower(),
        locale=locale,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    uow.session.add(link)
    uow.publish(
        DataLinkRequested(
            link_id=link.id, email=link.email, locale=Locale(locale), expires_at=link.expires_at
        )
    )
    return link


def valid_link(session: Session, secret: str, token: str, now: datetime | None = None) -> DataLink:
    """The link a token names, if we made the token and the link has not expired."""
    link_id = data_link_id(secret, token)
    link = session.get(DataLink, link_id) if link_id is not None else None
    if link is None or aware(link.expires_at) <= (now or datetime.now(UTC)):
        raise LinkGone()
    return link


def open_link(ask: privacy.Ask, session: Session, secret: str, token: str) -> Opened:
    """A valid link and what every service holds about its address (UpstreamUnavailable if
    one of them does not answer). Never scoped by group: it is the person's own."""
    link = valid_link(session, secret, token)
    return Opened(link, privacy.gather(ask, session, secret, link.email))


def record_access(uow: UnitOfWork, opened: Opened, secret: str) -> PrivacyRequest:
    """Record that the person saw (or took) their data through their link."""
    return privacy.record_access(
        uow, opened.person, secret, reason=REASON, requested_by=None, via=VIA
    )


def erase(uow: UnitOfWork, opened: Opened, secret: str) -> PrivacyRequest:
    """Erase the person everywhere, as a coordinator's erasure does (their links die with the
    data), and email them a last time to confirm it. The link is read again under its row
    lock: a second click finds it gone with the data, and erases nothing twice."""
    if uow.session.get(DataLink, opened.link.id, with_for_update=True) is None:
        raise LinkGone()
    return privacy.request_erasure(
        uow, opened.person, secret, reason=REASON, requested_by=None, via=VIA, confirm=True
    )


def change(uow: UnitOfWork, opened: Opened, secret: str, details: dict[str, Any]) -> PrivacyRequest:
    """The person corrects details, chooses their emails, or pauses or resumes: recorded as
    their request (a pause alone restricts, anything else corrects), and announced to every
    service, which applies what it holds of it (ADR 0027). `details` holds only what
    changes; the link stays valid."""
    person = opened.person
    kind = RESTRICTION if set(details) == {"paused"} else CORRECTION
    request = privacy.recorded(uow, kind, person, person.keys(secret), REASON, None, VIA)
    request.completed_at = request.requested_at
    uow.publish(
        DetailsChanged(
            change_id=request.id,
            subject=request.subject,
            **{ids: tuple(map(uuid.UUID, sorted(person.ids[ids]))) for ids in privacy.ID_KINDS},
            **details,
            changed_at=request.requested_at,
        )
    )
    return request


def status_token(secret: str, request: PrivacyRequest) -> str:
    """The token of the erasure's public status page."""
    return erasure_status_token(secret, request.id)


def erasure_status(session: Session, secret: str, token: str) -> dict[str, Any] | None:
    """The completion matrix of the erasure a status token names; None for any other token."""
    erasure_id = erasure_status_id(secret, token)
    request = privacy.find(session, erasure_id) if erasure_id is not None else None
    return privacy.matrix(session, request) if request is not None else None


def prune(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Housekeeping: delete the expired links, and with them the addresses they were for."""
    return data_links.prune(uow.session, now or datetime.now(UTC))
