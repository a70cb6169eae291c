"""Messages for tests: facts with made-up people, published as the relay would, or as raw bytes."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from typing import Any

from kombu import Connection, Producer
from sanctuary.vocabulary import VolunteerStatus

from sanctuary_dev.servers import TEST_RETRY_DELAYS_MS

# The machine's broker can stall for many seconds while another test's databases are dropped
# (PostgreSQL's checkpoint takes the disk): a test's own connection waits it out.
PATIENT_SECONDS = 60


def patient(connection: Connection) -> Connection:
    """`connection`, connected, having waited through a stalled broker."""
    connection.connect_timeout = PATIENT_SECONDS
    connection.ensure_connection(max_retries=3)
    return connection


def publish_raw(
    amqp_url: str,
    routing_key: str,
    body: bytes | str,
    *,
    exchange: str = "sanctuary",
    **properties: Any,
) -> None:
    """Publish exactly these bytes and properties, confirmed: for tests of bad messages."""
    from sanctuary import topology

    with patient(Connection(amqp_url, transport_options={"confirm_publish": True})) as connection:
        channel = connection.channel()
        topology.declare_all(channel, TEST_RETRY_DELAYS_MS)
        Producer(channel).publish(
            body, exchange=exchange, routing_key=routing_key, retry=False, **properties
        )


def queue_messages(amqp_url: str, queue: str) -> list[Any]:
    """Take every message now in `queue` (acking them): what a test asserts on."""
    from kombu import Queue

    taken = []
    with patient(Connection(amqp_url)) as connection:
        bound = Queue(queue, no_declare=True)(connection.channel())
        while (message := bound.get(no_ack=True)) is not None:
            taken.append(message)
    return taken


def queue_consumers(amqp_url: str, queue: str) -> int:
    """How many consumers `queue` has now: a worker counts once it is consuming (and has its
    stop signals in hand)."""
    from amqp.exceptions import NotFound

    with patient(Connection(amqp_url)) as connection:
        channel = connection.channel()
        try:
            _, _, consumers = channel.queue_declare(queue, passive=True)
        except NotFound:
            return 0  # not declared yet: no worker has connected
        finally:
            with contextlib.suppress(Exception):
                channel.close()
    return int(consumers)


def group_created(**overrides: Any) -> Any:
    """A group.created for the network's own group (the one `migrate` seeds); override any
    field for another group."""
    from sanctuary.contracts import DEFAULT_GROUP_ID, GroupCreated

    fields = {
        "group_id": DEFAULT_GROUP_ID,
        "slug": "network",
        "name": "Sanctuary Network",
        "contact": "network@sanctuary.example",
        "timezone": "Europe/London",
        "network": True,
        "sequence": 0,
    }
    return GroupCreated(**{**fields, **overrides})


def apply(service: Any, *facts: Any) -> None:
    """Apply facts through the service's own handlers, each in its unit of work, as its
    worker would but without the broker: a test's starting state (the groups it knows)."""
    for fact in facts:
        with service.unit_of_work() as uow:
            service.handlers[fact.TYPE](fact, uow)


def signed_up(**overrides: Any) -> Any:
    """A valid volunteer.signed_up message; override any field."""
    from datetime import UTC, datetime

    from sanctuary.contracts import VolunteerSignedUp

    fields = {
        "volunteer_id": uuid.uuid4(),
        "name": "Test Volunteer",
        "email": "volunteer@example.org",
        "postcode": "LS6 1AA",
        "languages": ("en", "ar"),
        "consented_at": datetime.now(UTC),
    }
    return VolunteerSignedUp(**{**fields, **overrides})


def registered(**overrides: Any) -> Any:
    """A valid volunteer.registered message; override any field."""
    from sanctuary.contracts import VolunteerRegistered

    fields = {
        "volunteer_id": uuid.uuid4(),
        "name": "Test Volunteer",
        "email": "volunteer@example.org",
        "status": VolunteerStatus.APPLIED,
    }
    return VolunteerRegistered(**{**fields, **overrides})


def requested(**overrides: Any) -> Any:
    """A valid newcomer.requested message, referred by a support worker; override any field."""
    from datetime import UTC, datetime

    from sanctuary.contracts import NewcomerRequested

    fields = {
        "newcomer_id": uuid.uuid4(),
        "name": "Yonas",
        "email": None,
        "referrer_email": "worker@charity.example",
        "postcode": "LS7 2AB",
        "languages": ("ti",),
        "wants_english_practice": True,
        "needs": (),
        "interests": (),
        "availability": (("sat", "morning"),),
        "gender": None,
        "same_gender_only": False,
        "needs_dbs": False,
        "consented_at": datetime.now(UTC),
    }
    return NewcomerRequested(**{**fields, **overrides})


def publish_message(amqp_url: str, message: Any, *, message_id: str | None = None) -> str:
    """Publish a contract message with the full envelope, as a relay would; returns its id."""
    [published] = publish_messages(amqp_url, [message], message_ids=[message_id])
    return published


def publish_messages(
    amqp_url: str,
    messages: Iterable[Any],
    *,
    message_ids: Iterable[str | None] = (),
    app_id: str = "test",
) -> list[str]:
    """Publish contract messages over one connection, each with the full envelope and a
    confirm, as a relay would; returns their ids (new ones where `message_ids` gives none)."""
    import itertools
    import json

    from sanctuary import contracts, envelope, topology

    published = []
    with patient(envelope.connect(amqp_url)) as connection:
        channel = connection.channel()
        topology.declare_all(channel, TEST_RETRY_DELAYS_MS)
        producer = Producer(channel)
        ids = itertools.chain(message_ids, itertools.repeat(None))
        for message, given_id in zip(messages, ids, strict=False):  # ids never run out
            message_type, body = contracts.dump(message)
            env = envelope.Envelope(
                message_id=given_id or envelope.new_message_id(),
                type=message_type,
                correlation_id=str(uuid.uuid4()),
                app_id=app_id,
                timestamp=envelope.now_timestamp(),
                schema_version=contracts.schema_version(message_type),
                body=json.dumps(body).encode(),
            )
            envelope.publish(
                producer, env, exchange=topology.EXCHANGE_NAME, routing_key=message_type
            )
            published.append(env.message_id)
    return published
