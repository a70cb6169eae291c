"""Erasure and subject access in notifications (ADR 0025): the people, registrants and sent
emails about a person erased or anonymised, the email confirming it, and everything held
about them as plain JSON.

Notifications announces last on purpose: when an address was held and the request asks for
it, `erase` plans the confirmation and the mailer's `finish_erasures` announces once that
email is sent (or given up), with its address and words gone.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sanctuary import erasure
from sanctuary.contracts import ErasureRequested
from sanctuary.erasure import Erased, Keys
from sanctuary.erasure_records import purge_outbox
from sanctuary.links import address_hash
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import DeliveryStatus
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.adapters.models import (
    Delivery,
    ErasureLog,
    Outbox,
    Person,
    Registrant,
    Unsubscribe,
)
from notifications.domain import privacy
from notifications.service_layer.handlers.planning import GroupNotYetKnown, plan

log = logging.getLogger(__name__)
SERVICE = "notifications"
KEPT_UNSUBSCRIBES = (
    "the keyed hash of your address, so that we keep honouring your request for no more "
    "emails (UK GDPR Art. 21)"
)
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
_UUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")


class ErasureAppliedAlone(Exception):
    """An erasure met rows another message of its batch holds for the batch's insert: the
    batch is applied again one message at a time, where nothing is held (ADR 0019)."""


@dataclass
class Found:
    """What notifications holds about a person."""

    people: list[Person] = field(default_factory=list)
    # Others' rows naming them as the support worker who referred them.
    referrals: list[Person] = field(default_factory=list)
    registrants: list[Registrant] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    # Their ids and address hashes: those asked for and those their rows hold.
    keys: Keys = field(default_factory=Keys)

    @property
    def own_ids(self) -> frozenset[str]:
        people = {str(p.id) for p in self.people}
        return frozenset(people | {str(r.registration_id) for r in self.registrants})


def find(session: Session, keys: Keys, secret: str) -> Found:
    """Every row about the person named by `keys`: people by id or address, registrants by
    registration id or address, then deliveries to any of their addresses or naming any of
    their ids (in the dedupe key or the context)."""
    found = Found()

    def theirs(address: str | None) -> bool:
        return bool(address) and address_hash(secret, str(address)) in keys.addresses

    for person in session.scalars(select(Person)):
        if str(person.id) in keys.ids or theirs(person.email):
            found.people.append(person)
        elif theirs(person.referrer_email):
            found.referrals.append(person)
    found.registrants = [
        r
        for r in session.scalars(select(Registrant))
        if str(r.registration_id) in keys.ids or theirs(r.email)
    ]
    addresses = {p.email for p in found.people if p.email} | {r.email for r in found.registrants}
    found.keys = keys | Keys(found.own_ids, frozenset(address_hash(secret, a) for a in addresses))
    rows = session.scalars(select(Delivery).execution_options(yield_per=500))
    found.deliveries = [d for d in rows if _about(d, found.keys, secret)]
    return found


def _about(delivery: Delivery, keys: Keys, secret: str) -> bool:
    if delivery.to_address and address_hash(secret, delivery.to_address) in keys.addresses:
        return True
    named = set(_UUID.findall(delivery.dedupe_key))
    named.add(str((delivery.context or {}).get("registration_id")))
    return bool(named & keys.ids)


def partners_emails(session: Session, theirs: list[Delivery]) -> list[Delivery]:
    """The emails about their matches to the other person that name them (by first name)."""
    matches = {(d.context or {}).get("match_id") for d in theirs} - {None}
    if not matches:
        return []
    mine = {d.id for d in theirs}
    return [
        d
        for d in session.scalars(select(Delivery).where(Delivery.template.like("match%")))
        if d.id not in mine
        and (d.context or {}).get("match_id") in matches
        and (d.context or {}).get("other")
    ]


def _forget_inpartners_emails(session: Session, theirs: list[Delivery]) -> None:
    """The emails about their matches to the other person keep the match, never the erased
    person's first name; one not sent yet is not sent (the match has ended)."""
    for delivery in partners_emails(session, theirs):
        delivery.context = {**delivery.context, "other": None}
        delivery.rendered = None
        if delivery.status in WAITING:  # about a match that is over: never sent now
            delivery.status = DeliveryStatus.ERASED


def anonymise(delivery: Delivery) -> None:
    """No address, words or reply left; the template, status, group and times stay for the
    counts. One not sent yet never is."""
    if delivery.status in WAITING:
        delivery.status = DeliveryStatus.ERASED
    delivery.to_address = ""
    delivery.context = {}
    delivery.rendered = None
    delivery.last_error = None


def erase(secret: str, request: ErasureRequested, keys: Keys, uow: UnitOfWork) -> Erased:
    """Delete the person's people and registrant rows, blank their address where they only
    referred someone, anonymise the emails to or about them, purge the outbox rows about them;
    keep the unsubscribe list's hash. With `request.confirm` and an address of theirs, plan
    the confirmation and announce later (`finish_erasures`)."""
    if uow.batch_rows:
        raise ErasureAppliedAlone(str(request.erasure_id))
    session = uow.session
    found = find(session, keys, secret)
    reader = _reader(found, secret) if request.confirm else None
    unsubscribed = _unsubscribed(session, found.keys.addresses)
    for person in found.referrals:
        person.referrer_email = None
    for row in [*found.people, *found.registrants]:
        session.delete(row)
    _forget_inpartners_emails(session, found.deliveries)
    for delivery in found.deliveries:
        anonymise(delivery)
    outbox = purge_outbox(session, Outbox, found.keys, secret)
    confirming = reader is not None and _confirm(uow, request.erasure_id, reader, unsubscribed)
    return Erased(
        counts={
            "people": len(found.people),
            "referrer_addresses": len(found.referrals),
            "registrants": len(found.registrants),
            "deliveries": len(found.deliveries),
            "outbox_messages": outbox,
        },
        kept={"unsubscribes": KEPT_UNSUBSCRIBES} if unsubscribed else {},
        ids=found.own_ids,
        announce_now=not confirming,
    )


def _reader(found: Found, secret: str) -> privacy.Reader | None:
    """Who the confirmation goes to: their own address from their rows (never a referrer's),
    else from an email sent to them."""
    for person in found.people:
        if person.email:
            return privacy.Reader(
                person.email, person.name, person.locale, person.group_id, person.kind
            )
    for r in found.registrants:
        return privacy.Reader(r.email, r.name, r.locale, r.group_id, "registrant")
    for d in found.deliveries:
        if d.to_address and address_hash(secret, d.to_address) in found.keys.addresses:
            context = d.context or {}
            # An email to a referrer names the person referred, not the reader.
            name = "" if context.get("referred") else str(context.get("name") or "")
            return privacy.Reader(d.to_address, name, d.locale, d.group_id, "person")
    return None


def _unsubscribed(session: Session, hashes: Iterable[str]) -> bool:
    wanted = list(hashes)
    if not wanted:
        return False
    found = session.scalar(
        select(Unsubscribe.address_hash).where(Unsubscribe.address_hash.in_(wanted)).limit(1)
    )
    return found is not None


def _confirm(
    uow: UnitOfWork, erasure_id: uuid.UUID, reader: privacy.Reader, unsubscribed: bool
) -> bool:
    """Plan the confirmation, signed by their group (else the network's); False if no group
    is known to sign it (then nothing waits for it: announced at once)."""
    email = privacy.confirmation(erasure_id, reader, unsubscribed)
    for signed in (email, replace(email, group_id=None)):
        try:
            plan(uow, signed)
            return True
        except GroupNotYetKnown:
            continue
    log.warning("no group known to sign an erasure confirmation: announced without it")
    return False


def finish_erasures(uow: UnitOfWork) -> int:
    """Announce each erasure whose confirmation is sent or given up, its address and words
    blanked in the same transaction; returns how many. Idempotent: an announced erasure is
    never looked at again, and a crash before the commit leaves it to the next call."""
    waiting = uow.session.scalars(
        select(ErasureLog)
        .where(ErasureLog.announced_at.is_(None))
        .with_for_update(skip_locked=True)
    ).all()
    done = 0
    for row in waiting:
        key = privacy.confirmation_key(row.erasure_id)
        delivery = uow.session.scalar(select(Delivery).where(Delivery.dedupe_key == key))
        if delivery is not None and delivery.status in WAITING:
            continue
        if delivery is not None:
            anonymise(delivery)
        erasure.announce(uow, SERVICE, row)
        done += 1
    return done
