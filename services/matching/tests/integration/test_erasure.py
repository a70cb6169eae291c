"""Erasure through matching's worker (ADR 0025): a matched volunteer is anonymised, their
match ends as withdrawn and both facts go out; what is parked about them is swept; nothing
about them comes back, though the same person signing up again afterwards is welcome.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the matching worker and
relay; the other services' queues stand for them (the topology declares every queue).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from matching.adapters.models import ErasureLog, Inbox, Match, Newcomer, Outbox, Volunteer
from matching.domain import lifecycle
from matching.service_layer import coordination
from sanctuary import contracts as c
from sanctuary.links import address_hash
from sanctuary.runtime import Service
from sanctuary.vocabulary import MatchAction, MatchStatus, NewcomerStatus, VolunteerStatus
from sanctuary_dev.looking import holds, parked
from sanctuary_dev.messages import (
    publish_message,
    publish_messages,
    publish_raw,
    queue_messages,
    requested,
    signed_up,
)
from sanctuary_dev.processes import running_relay, running_worker, wait_until
from sqlalchemy import select

pytestmark = pytest.mark.integration
LEEDS = uuid.uuid4()
SLOT = (("sat", "morning"),)
READY = {"references": "verified", "screening": "passed", "training": "completed"}
EMAIL = "sam@example.org"


def erasure_of(service: Service, *volunteer_ids: uuid.UUID) -> c.ErasureRequested:
    return c.ErasureRequested(
        erasure_id=uuid.uuid4(),
        subject=address_hash(service.config.link_secret, EMAIL),
        volunteer_ids=volunteer_ids,
        requested_at=datetime.now(UTC),
    )


def park(service: Service, body: dict[str, Any]) -> str:
    """A sign-up the worker parks: it breaks the contract (a name and more are missing)."""
    message_id = str(uuid.uuid4())
    publish_raw(
        service.config.amqp_url,
        c.VolunteerSignedUp.TYPE,
        json.dumps(body),
        message_id=message_id,
        type=c.VolunteerSignedUp.TYPE,
        content_type="application/json",
        content_encoding="utf-8",
    )
    return message_id


def approved_match(service: Service) -> uuid.UUID:
    """The ready volunteer and the waiting newcomer paired by a run, approved."""
    with service.unit_of_work() as uow:
        [volunteer_id] = uow.session.scalars(select(Volunteer.id))
        coordination.record_checks(uow, volunteer_id, READY)
    with service.unit_of_work() as uow:
        [proposal] = coordination.start_run(uow, dry_run=False).proposals
    with service.unit_of_work() as uow:
        [match_id] = uow.session.scalars(select(Match.id))
        coordination.decide(uow, match_id, MatchAction.APPROVE)
    assert proposal.volunteer_id == volunteer_id
    return match_id  # type: ignore[no-any-return]


def taken(service: Service, queue: str, wanted: str) -> list[dict[str, Any]]:
    """The bodies of `wanted` messages in `queue`, once there are some."""
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        for message in queue_messages(service.config.amqp_url, queue):
            if message.properties.get("type") == wanted:
                found.append(json.loads(message.body))
        return bool(found)

    wait_until(arrived, timeout=15)
    return found


def test_a_matched_volunteer_is_erased_their_match_withdrawn_and_their_parked_sign_up_swept(
    matching: Service,
) -> None:
    """The match ends as withdrawn (notifications hears match.ended), the gateway hears
    person.erased with the counts, and only the parked message naming them is swept."""
    sam = signed_up(email=EMAIL, group_id=LEEDS, availability=SLOT)
    yonas = requested(group_id=LEEDS, postcode="LS6 2BB")
    with running_worker(matching):
        publish_messages(matching.config.amqp_url, [sam, yonas])
        wait_until(lambda: holds(matching, Newcomer, yonas.newcomer_id))
        wait_until(lambda: holds(matching, Volunteer, sam.volunteer_id))
        match_id = approved_match(matching)
        park(matching, {"volunteer_id": str(sam.volunteer_id), "email": "SAM@example.org"})
        unrelated = park(matching, {"volunteer_id": str(uuid.uuid4()), "email": "o@example.org"})
        wait_until(lambda: len(parked(matching)) == 2, timeout=15)
        asked = erasure_of(matching)
        publish_message(matching.config.amqp_url, asked)
        wait_until(lambda: holds(matching, ErasureLog, str(asked.erasure_id)), timeout=15)
    with matching.sessions() as session:
        volunteer = session.get(Volunteer, sam.volunteer_id)
        match = session.get(Match, match_id)
        newcomer = session.get(Newcomer, yonas.newcomer_id)
        bodies = list(session.scalars(select(Outbox.body)))
    assert volunteer is not None
    assert match is not None
    assert newcomer is not None
    assert (volunteer.name, volunteer.email, volunteer.status) == ("", "", VolunteerStatus.ERASED)
    assert (match.status, match.reason, match.explanation) == (
        MatchStatus.ENDED,
        lifecycle.WITHDRAWN,
        {},
    )
    assert newcomer.status == NewcomerStatus.WAITING
    assert not any(EMAIL in body for body in bodies)
    assert [p.message_id for p in parked(matching)] == [unrelated]
    with running_relay(matching):
        [ended] = taken(matching, "sanctuary.notifications", c.MatchEnded.TYPE)
        [erased] = taken(matching, "sanctuary.gateway", c.PersonErased.TYPE)
    assert (ended["match_id"], ended["reason"]) == (str(match_id), lifecycle.WITHDRAWN)
    assert erased["service"] == "matching"
    assert erased["counts"] == {
        "volunteers": 1,
        "newcomers": 0,
        "referrer_addresses": 0,
        "matches_ended": 1,
        "matches_anonymised": 1,
        "outbox_messages": 5,  # registered, checks, readiness, proposed, approved
        "queued_messages": 1,
    }


def test_nothing_about_them_comes_back_but_a_new_sign_up_after_the_erasure_is_welcome(
    matching: Service,
) -> None:
    """Their id is void for ever; their address voids only what was accepted before the
    erasure (AMQP timestamps are whole seconds: the new sign-up waits for the next one)."""
    sam = signed_up(email=EMAIL)
    with running_worker(matching):
        publish_message(matching.config.amqp_url, sam)
        wait_until(lambda: holds(matching, Volunteer, sam.volunteer_id))
        asked = erasure_of(matching, sam.volunteer_id)
        publish_message(matching.config.amqp_url, asked)
        wait_until(lambda: holds(matching, ErasureLog, str(asked.erasure_id)), timeout=15)
        wait_until(lambda: datetime.now(UTC).timestamp() >= int(asked.requested_at.timestamp()) + 1)
        again = signed_up(volunteer_id=sam.volunteer_id, email="sam.new@example.org")
        dropped = publish_message(matching.config.amqp_url, again)
        wait_until(lambda: holds(matching, Inbox, dropped))
        welcome = signed_up(email=EMAIL)
        publish_message(matching.config.amqp_url, welcome)
        wait_until(lambda: holds(matching, Volunteer, welcome.volunteer_id))
    with matching.sessions() as session:
        erased = session.get(Volunteer, sam.volunteer_id)
        back = session.get(Volunteer, welcome.volunteer_id)
        types = list(session.scalars(select(Outbox.type).order_by(Outbox.created_at)))
    assert erased is not None
    assert back is not None
    assert (erased.email, erased.status) == ("", VolunteerStatus.ERASED)
    assert (back.email, back.status) == (EMAIL, VolunteerStatus.APPLIED)
    # The erased id's late sign-up announced nothing; the new one was registered.
    assert types == [c.PersonErased.TYPE, c.VolunteerRegistered.TYPE]
