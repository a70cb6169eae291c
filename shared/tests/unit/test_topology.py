"""The broker topology: names, queue types and where failed messages go."""

from __future__ import annotations

from sanctuary import topology


def test_each_service_queue_is_a_quorum_queue_bound_to_its_types() -> None:
    """matching hears sign-ups, requests, training, erasures and a person's own changes on
    the sanctuary exchange."""
    queues = topology.service_queues("matching", (1000, 10000))
    assert queues.main.name == "sanctuary.matching"
    assert queues.main.queue_arguments["x-queue-type"] == "quorum"
    assert {b.routing_key for b in queues.main.bindings} == {
        "volunteer.signed_up",
        "newcomer.requested",
        "training.completed",
        "person.erasure_requested",
        "person.details_changed",
    }
    assert all(b.exchange.name == "sanctuary" for b in queues.main.bindings)


def test_delay_queues_wait_then_return_messages_to_the_main_queue() -> None:
    """One delay queue per configured delay, each dead-lettering back to its service."""
    queues = topology.service_queues("notifications", (1000, 10000, 60000))
    assert [q.queue_arguments["x-message-ttl"] for q in queues.retries] == [1000, 10000, 60000]
    for queue in queues.retries:
        assert queue.queue_arguments["x-dead-letter-exchange"] == ""
        assert queue.queue_arguments["x-dead-letter-routing-key"] == "sanctuary.notifications"
        assert queue.queue_arguments["x-dead-letter-strategy"] == "at-least-once"
    assert queues.max_retries == 3
    assert queues.retry_queue(0).name == "sanctuary.notifications.retry.1000ms"


def test_a_crash_looping_message_ends_in_the_parking_lot() -> None:
    """The broker's delivery limit dead-letters a poison message to the parking lot."""
    queues = topology.service_queues("matching", (1000,))
    args = queues.main.queue_arguments
    assert args["x-delivery-limit"] == topology.DELIVERY_LIMIT
    assert args["x-dead-letter-routing-key"] == queues.parked.name == "sanctuary.matching.parked"


def test_the_exchange_is_a_durable_topic_exchange() -> None:
    """Routing key = message type."""
    exchange = topology.exchange()
    assert (exchange.name, exchange.type, exchange.durable) == ("sanctuary", "topic", True)


def test_every_service_that_holds_people_hears_erasures_and_the_gateway_their_answers() -> None:
    """Each holder erases on person.erasure_requested; the gateway's matrix hears person.erased,
    and records the erasures a service starts itself (retention)."""
    hearing = {
        s for s, types in topology.SUBSCRIPTIONS.items() if "person.erasure_requested" in types
    }
    assert hearing == {"gateway", "matching", "events", "notifications"}
    assert set(topology.SUBSCRIPTIONS["gateway"]) == {"person.erased", "person.erasure_requested"}
