"""Erasure in the events service through its real worker (ADR 0025): an erased registrant's
place passes to the first waiting, person.erased goes out, and nothing about them comes back,
late, retried or parked.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the events worker and
relay (threads). Messages are published as the gateway's relay would, each with the envelope
timestamp the test chooses (when the gateway accepted it).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from events.adapters.models import ErasureLog, Inbox, Registration
from events.service_layer import scheduling
from kombu import Producer
from sanctuary import contracts, envelope, topology
from sanctuary import contracts as c
from sanctuary.links import address_hash
from sanctuary.runtime import Service
from sanctuary.vocabulary import EventKind, RegistrationStatus
from sanctuary_dev.looking import holds, parked
from sanctuary_dev.messages import queue_messages
from sanctuary_dev.processes import running_relay, running_worker, wait_until
from sanctuary_dev.servers import TEST_RETRY_DELAYS_MS

pytestmark = pytest.mark.integration
SECRET = "test-events-link-secret"  # the events fixture's LINK_SECRET


def publish(
    events: Service,
    message: Any,
    accepted_at: datetime | None = None,
    queue: str | None = None,
    **headers: Any,
) -> str:
    """Publish `message` with the full envelope, accepted at `accepted_at` (now by default):
    to the exchange, or straight into one of the service's own queues (a parked message, a
    delayed retry). Returns its message id."""
    message_type, body = contracts.dump(message)
    env = envelope.Envelope(
        message_id=envelope.new_message_id(),
        type=message_type,
        correlation_id=str(uuid.uuid4()),
        app_id="gateway",
        timestamp=int((accepted_at or datetime.now(UTC)).timestamp()),
        schema_version=contracts.schema_version(message_type),
        body=json.dumps(body).encode(),
    )
    with envelope.connect(events.config.amqp_url) as connection:
        channel = connection.channel()
        topology.declare_all(channel, TEST_RETRY_DELAYS_MS)
        envelope.publish(
            Producer(channel),
            env,
            exchange="" if queue else topology.EXCHANGE_NAME,
            routing_key=queue or message_type,
            headers=headers,
        )
    return env.message_id


def queues(events: Service) -> topology.ServiceQueues:
    return topology.service_queues("events", events.config.retry_delays_ms)


def an_event(events: Service, capacity: int) -> uuid.UUID:
    starts = datetime.now(UTC) + timedelta(days=7)
    with events.unit_of_work() as uow:
        event = scheduling.schedule(
            uow,
            {
                "title": "Welcome social",
                "description": "",
                "kind": EventKind.SOCIAL,
                "topic": None,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "timezone": "Europe/London",
                "capacity": capacity,
                "online_url": None,
                "location": "Community hall",
                "registration_closes_at": None,
                "group_id": None,
            },
        )
    return event.id


def asked(event_id: uuid.UUID, email: str, **more: Any) -> c.RegistrationRequested:
    fields = {
        "registration_id": uuid.uuid4(),
        "event_id": event_id,
        "name": "Amira",
        "email": email,
        "requested_at": datetime.now(UTC),
    }
    return c.RegistrationRequested(**{**fields, **more})


def registration(events: Service, registration_id: uuid.UUID) -> Registration | None:
    with events.sessions() as session:
        return session.get(Registration, registration_id)


def decided(events: Service, request: c.RegistrationRequested, **more: Any) -> Registration:
    publish(events, request, **more)
    found = wait_until(lambda: registration(events, request.registration_id))
    assert found is not None
    return found


def erase(events: Service, email: str, *ids: uuid.UUID) -> c.ErasureRequested:
    """Ask for the erasure of the person with `email` (and `ids`); wait until it is applied."""
    request = c.ErasureRequested(
        erasure_id=uuid.uuid4(),
        subject=address_hash(SECRET, email),
        registration_ids=ids,
        requested_at=datetime.now(UTC),
    )
    publish(events, request)
    wait_until(lambda: holds(events, ErasureLog, str(request.erasure_id)))
    return request


def answered(events: Service, message_id: str) -> bool:
    """Whether the worker is done with a message (applied, or dropped by the guard)."""
    return holds(events, Inbox, message_id)


def test_an_erased_registrants_place_passes_to_the_first_waiting(events: Service) -> None:
    """Their place is given up, the first waiting is promoted, their row keeps no name or
    address, and person.erased reaches the gateway with the counts."""
    event_id = an_event(events, capacity=1)
    gateway_queue = topology.queue_name("gateway")
    with running_worker(events), running_relay(events):
        gone = decided(events, asked(event_id, "amira@example.org"))
        waiting = decided(events, asked(event_id, "bo@example.org"))
        assert (gone.status, waiting.status) == ("confirmed", "waitlisted")
        erase(events, "Amira@example.org")
        said: list[Any] = []

        def erased_fact() -> Any:
            said.extend(queue_messages(events.config.amqp_url, gateway_queue))
            return [m for m in said if m.properties.get("type") == c.PersonErased.TYPE]

        [fact] = wait_until(erased_fact)
    body = json.loads(fact.body)
    assert body["service"] == "events"
    assert body["counts"] == {
        "registrations": 1,
        "places_freed": 1,
        "outbox_messages": 1,
        "queued_messages": 0,
    }
    row = registration(events, gone.id)
    assert row is not None
    assert (row.name, row.email, row.status) == ("", "", RegistrationStatus.CANCELLED)
    promoted = registration(events, waiting.id)
    assert promoted is not None
    assert promoted.status == RegistrationStatus.CONFIRMED


def test_nothing_about_them_comes_back_late_or_retried(events: Service) -> None:
    """A request accepted before the erasure and delivered after it is dropped; one accepted
    after it (a new consent) is applied; a delayed retry naming their registration id comes
    back after the erasure and creates nothing."""
    event_id = an_event(events, capacity=5)
    unseen = uuid.uuid4()  # accepted by the gateway, still waiting in a delay queue here
    with running_worker(events):
        decided(events, asked(event_id, "amira@example.org"))
        erasure = erase(events, "amira@example.org", unseen)
        late = asked(event_id, "amira@example.org")
        late_id = publish(events, late, erasure.requested_at - timedelta(minutes=1))
        wait_until(lambda: answered(events, late_id))
        again = asked(event_id, "amira@example.org")
        decided(events, again, accepted_at=erasure.requested_at + timedelta(minutes=1))
        retry = asked(event_id, "other@example.org", registration_id=unseen)
        retry_id = publish(
            events,
            retry,
            erasure.requested_at + timedelta(minutes=1),
            queue=queues(events).retry_queue(0).name,
            **{"x-retries": 1},
        )
        wait_until(lambda: answered(events, retry_id))
    assert registration(events, late.registration_id) is None
    assert registration(events, unseen) is None
    welcome = registration(events, again.registration_id)
    assert welcome is not None
    assert welcome.status == RegistrationStatus.CONFIRMED


def test_the_erasure_sweeps_parked_messages_naming_them_and_leaves_the_rest(
    events: Service,
) -> None:
    """The parked request naming them goes; an unrelated parked message stays."""
    event_id = an_event(events, capacity=5)
    parking_lot = queues(events).parked.name
    theirs = publish(events, asked(event_id, "amira@example.org"), queue=parking_lot)
    other = publish(events, asked(event_id, "bo@example.org"), queue=parking_lot)
    assert sorted(p.message_id for p in parked(events)) == sorted([theirs, other])
    with running_worker(events):
        erasure = erase(events, "amira@example.org")
    assert [p.message_id for p in parked(events)] == [other]
    with events.sessions() as session:
        logged = session.get(ErasureLog, str(erasure.erasure_id))
        assert logged is not None
        assert logged.counts["queued_messages"] == 1
