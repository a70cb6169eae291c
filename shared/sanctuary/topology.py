"""The broker topology, decided once: one topic exchange, and for each consuming service a
quorum queue bound to the types it handles, delay queues for retries and a parking lot.

Every process declares the whole topology when it connects (declaring is idempotent), so a
message published before its consumer first started is queued, not dropped as unroutable.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue, binding
from kombu.transport.pyamqp import Channel

EXCHANGE_NAME = "sanctuary"
# Who listens to what. A worker refuses to start if its handlers do not cover exactly this.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # The gateway hears each service's answer to an erasure (its matrix), and the erasures a
    # service starts itself (the retention schedule).
    "gateway": ("person.erased", "person.erasure_requested"),
    "matching": (
        "volunteer.signed_up",
        "newcomer.requested",
        "training.completed",
        "person.erasure_requested",
        "person.details_changed",
    ),
    "events": (
        "registration.requested",
        "person.moved",
        "person.erasure_requested",
        "person.details_changed",
    ),
    "notifications": (
        "person.erasure_requested",
        "person.details_changed",
        "person.data_link_requested",
        "group.created",
        "group.updated",
        "person.moved",
        "coordinator.invited",
        "volunteer.registered",
        "volunteer.readiness_changed",
        "volunteer.check_renewal_due",
        "volunteer.check_lapsed",
        "concern.raised",
        "concern.escalated",
        "newcomer.requested",
        "event.scheduled",
        "event.updated",
        "event.cancelled",
        "event.reminder_due",
        "registration.confirmed",
        "registration.waitlisted",
        "registration.promoted",
        "registration.cancelled",
        "registration.rejected",
        "match.proposed",
        "match.approved",
        "match.checkin_due",
        "match.ended",
    ),
}
# A message redelivered this often (a worker crashing on it each time) is dead-lettered to the
# parking lot by the broker itself, so one poison message cannot crash-loop a service.
DELIVERY_LIMIT = 20

# Dead-lettering from a quorum queue is at-most-once unless asked for at-least-once, which in
# turn needs reject-publish overflow (RabbitMQ 3.10+).
_SAFE_DEAD_LETTERING = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
_QUORUM = {"x-queue-type": "quorum"}


def exchange() -> Exchange:
    """The one durable topic exchange; routing key = message type."""
    return Exchange(EXCHANGE_NAME, type="topic", durable=True)


@dataclass(frozen=True)
class ServiceQueues:
    """The queues of one consuming service."""

    service: str
    main: Queue
    retries: tuple[Queue, ...]
    parked: Queue

    def retry_queue(self, retries_done: int) -> Queue:
        """The delay queue for the next try after `retries_done` retries (0-based)."""
        return self.retries[retries_done]

    @property
    def max_retries(self) -> int:
        """How many times a transiently failing message comes back before it is parked."""
        return len(self.retries)


def queue_name(service: str) -> str:
    """The main queue of a consuming service."""
    return f"{EXCHANGE_NAME}.{service}"


def service_queues(service: str, retry_delays_ms: tuple[int, ...]) -> ServiceQueues:
    """Build (not declare) the queues of `service`."""
    main_name = queue_name(service)
    parked_name = f"{main_name}.parked"
    ex = exchange()
    main = Queue(
        main_name,
        bindings=[binding(ex, routing_key=t) for t in SUBSCRIPTIONS[service]],
        durable=True,
        queue_arguments={
            **_QUORUM,
            **_SAFE_DEAD_LETTERING,
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": parked_name,
        },
    )
    # Each delay queue holds messages for a fixed time, then dead-letters them straight back
    # to the main queue through the default exchange (not the topic exchange, so no other
    # service receives the retry).
    retries = tuple(
        Queue(
            f"{main_name}.retry.{delay}ms",
            durable=True,
            queue_arguments={
                **_QUORUM,
                **_SAFE_DEAD_LETTERING,
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": main_name,
            },
        )
        for delay in retry_delays_ms
    )
    parked = Queue(parked_name, durable=True, queue_arguments=dict(_QUORUM))
    return ServiceQueues(service=service, main=main, retries=retries, parked=parked)


def declare_all(channel: Channel, retry_delays_ms: tuple[int, ...]) -> None:
    """Declare the exchange and every service's queues on `channel`."""
    exchange()(channel).declare()
    for service in SUBSCRIPTIONS:
        queues = service_queues(service, retry_delays_ms)
        for queue in (queues.main, *queues.retries, queues.parked):
            queue(channel).declare()
