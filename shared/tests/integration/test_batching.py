"""The consumer's batch mode (WORKER_BATCH > 1) keeps every delivery rule of the single path.

Real: RabbitMQ (a private vhost) and PostgreSQL (a private database), the matching service's
real handlers, sometimes wrapped to fail on purpose, and for SIGTERM the worker processes as
production runs them. Where a test needs to know which messages share a batch, its worker
waits longer for a batch to fill (batch_wait_seconds) than the 15 ms it waits in production.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from kombu.message import Message
from matching.adapters.models import Inbox, Outbox, Volunteer
from matching.service_layer.handlers import on_volunteer_signed_up
from sanctuary import envelope, topology
from sanctuary.commands import queue_depths
from sanctuary.failures import PermanentError
from sanctuary.runtime import Service
from sanctuary.unit_of_work import UnitOfWork
from sanctuary_dev.looking import count, holds, parked
from sanctuary_dev.looking import messages_counted as counted
from sanctuary_dev.messages import publish_messages, queue_consumers, signed_up
from sanctuary_dev.processes import running_worker, stop_processes, wait_until, worker_processes
from sqlalchemy import event as sqlalchemy_event

pytestmark = pytest.mark.integration
SIGNED_UP = "volunteer.signed_up"


@contextmanager
def counting_commits(service: Service) -> Iterator[list[int]]:
    """Count the transactions committed on the service's database during the block."""
    commits: list[int] = []

    def on_commit(_connection: Any) -> None:
        commits.append(1)

    sqlalchemy_event.listen(service.engine, "commit", on_commit)
    try:
        yield commits
    finally:
        sqlalchemy_event.remove(service.engine, "commit", on_commit)


def counting_calls(calls: Counter[Any]) -> Callable[[Any, UnitOfWork], None]:
    """matching's sign-up handler, counting its calls per volunteer."""

    def handler(event: Any, uow: UnitOfWork) -> None:
        calls[event.volunteer_id] += 1
        on_volunteer_signed_up(event, uow)

    return handler


def ready(service: Service) -> int:
    """Messages waiting in matching's queue, not yet delivered to a worker."""
    with envelope.connect(service.config.amqp_url) as connection:
        return queue_depths(connection, "matching", service.config.retry_delays_ms)["ready"]


def test_fifty_messages_in_batches_of_twenty_are_applied_once_in_three_transactions(
    matching: Service,
) -> None:
    """20 + 20 + 10: one commit a batch, each message applied and announced once."""
    calls: Counter[Any] = Counter()
    events = [signed_up() for _ in range(50)]
    publish_messages(matching.config.amqp_url, events)
    with (
        counting_commits(matching) as commits,
        running_worker(matching, {SIGNED_UP: counting_calls(calls)}, 20, wait_seconds=1.0),
    ):
        wait_until(lambda: count(matching, Inbox) == 50)
    assert len(commits) == 3
    assert calls == Counter(e.volunteer_id for e in events)
    assert count(matching, Volunteer) == 50
    assert count(matching, Outbox) == 50


def test_a_poison_message_in_a_batch_parks_only_itself(matching: Service) -> None:
    """The batch rolls back and is applied one by one: the poison parks with its reason, the
    other nine are applied once."""
    events = [signed_up() for _ in range(10)]
    poison = events[4].volunteer_id

    def handler(event: Any, uow: UnitOfWork) -> None:
        if event.volunteer_id == poison:
            raise PermanentError("this volunteer cannot be recorded")
        on_volunteer_signed_up(event, uow)

    ids = publish_messages(matching.config.amqp_url, events)
    with running_worker(matching, {SIGNED_UP: handler}, 20, wait_seconds=1.0):
        found = wait_until(lambda: parked(matching))
        wait_until(lambda: count(matching, Inbox) == 9)
    assert [(p.message_id, p.reason) for p in found] == [
        (ids[4], "this volunteer cannot be recorded")
    ]
    assert not holds(matching, Volunteer, poison)
    assert count(matching, Volunteer) == 9
    assert count(matching, Outbox) == 9


def test_a_transient_failure_in_a_batch_sends_only_that_message_to_its_retry_queue(
    matching: Service,
) -> None:
    """It fails in the batch and again on its own, goes to the first delay queue, and applies
    when it comes back; the others are applied once, in the meantime."""
    calls: Counter[Any] = Counter()
    events = [signed_up() for _ in range(10)]
    flaky = events[3].volunteer_id

    def handler(event: Any, uow: UnitOfWork) -> None:
        calls[event.volunteer_id] += 1
        if event.volunteer_id == flaky and calls[flaky] <= 2:
            raise RuntimeError("the database blinked")
        on_volunteer_signed_up(event, uow)

    retried_before = counted("matching", SIGNED_UP, "retried")
    publish_messages(matching.config.amqp_url, events)
    with running_worker(matching, {SIGNED_UP: handler}, 20, wait_seconds=1.0):
        wait_until(lambda: count(matching, Inbox) == 10)
    assert counted("matching", SIGNED_UP, "retried") == retried_before + 1
    # Those before it: in the rolled-back batch, then on their own. The flaky one: in the
    # batch, on its own, back from the delay queue. Those after it: on their own only.
    assert [calls[e.volunteer_id] for e in events] == [2, 2, 2, 3, 1, 1, 1, 1, 1, 1]
    assert count(matching, Volunteer) == 10
    assert count(matching, Outbox) == 10
    assert parked(matching) == []


def test_a_racing_worker_committing_first_makes_the_batch_skip_only_that_message(
    matching: Service,
) -> None:
    """Another worker applies a copy of the batch's second message while the batch is open:
    the batch's commit fails on the inbox key, and one message at a time the first is applied
    and the second is a duplicate."""
    calls: Counter[Any] = Counter()
    first, raced = signed_up(), signed_up()
    ids = ["0b4f6f4e-0000-4000-8000-0000000000a1", "0b4f6f4e-0000-4000-8000-0000000000a2"]

    def handler(event: Any, uow: UnitOfWork) -> None:
        if event.volunteer_id == first.volunteer_id and not calls:  # the race, once
            with matching.unit_of_work("c") as race:
                on_volunteer_signed_up(raced, race)
                race.session.add(
                    Inbox(message_id=ids[1], type=SIGNED_UP, processed_at=datetime.now(UTC))
                )
        calls[event.volunteer_id] += 1
        on_volunteer_signed_up(event, uow)

    duplicates_before = counted("matching", SIGNED_UP, "duplicate")
    publish_messages(matching.config.amqp_url, [first, raced], message_ids=ids)
    with running_worker(matching, {SIGNED_UP: handler}, 20, wait_seconds=1.0):
        wait_until(lambda: counted("matching", SIGNED_UP, "duplicate") == duplicates_before + 1)
    # Both in the rolled-back batch; then only the first, on its own: the inbox skips raced.
    assert calls == Counter({first.volunteer_id: 2, raced.volunteer_id: 1})
    assert count(matching, Volunteer) == 2
    assert count(matching, Inbox) == 2
    assert count(matching, Outbox) == 2


def test_a_crash_between_commit_and_acks_applies_nothing_twice(
    matching: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection dies at the batch's first ack: the worker reconnects, the broker
    redelivers all ten, and the inbox skips every one of them, in one batch (a batch of
    duplicates only is no failure to redo message by message)."""
    calls: Counter[Any] = Counter()
    events = [signed_up() for _ in range(10)]
    real_ack = Message.ack
    failed: list[int] = []

    def ack_once_the_connection_is_gone(message: Message, multiple: bool = False) -> None:
        if not failed:
            failed.append(1)
            raise ConnectionResetError("the broker went away after the commit")
        real_ack(message, multiple)

    monkeypatch.setattr(Message, "ack", ack_once_the_connection_is_gone)
    duplicates_before = counted("matching", SIGNED_UP, "duplicate")
    publish_messages(matching.config.amqp_url, events)
    with running_worker(matching, {SIGNED_UP: counting_calls(calls)}, 20, wait_seconds=0.5):
        wait_until(
            lambda: counted("matching", SIGNED_UP, "duplicate") == duplicates_before + 10,
            timeout=15,
        )
        wait_until(lambda: ready(matching) == 0)
    assert failed == [1]
    assert calls == Counter(e.volunteer_id for e in events)  # each handled once
    assert count(matching, Inbox) == 10
    assert count(matching, Outbox) == 10
    with running_worker(
        matching, batch_size=20
    ):  # nothing comes back: all were acked the second time
        time.sleep(0.5)
    assert counted("matching", SIGNED_UP, "duplicate") == duplicates_before + 10
    assert "rolled back" not in caplog.text


def test_the_same_message_twice_in_one_batch_is_applied_once(matching: Service) -> None:
    """The second copy counts as a duplicate inside the batch: one commit, one handler call."""
    calls: Counter[Any] = Counter()
    twice, other = signed_up(), signed_up()
    message_id = "0b4f6f4e-0000-4000-8000-00000000ba7c"
    duplicates_before = counted("matching", SIGNED_UP, "duplicate")
    publish_messages(
        matching.config.amqp_url, [twice, other, twice], message_ids=[message_id, None, message_id]
    )
    with (
        counting_commits(matching) as commits,
        running_worker(matching, {SIGNED_UP: counting_calls(calls)}, 20, wait_seconds=1.0),
    ):
        wait_until(lambda: counted("matching", SIGNED_UP, "duplicate") == duplicates_before + 1)
    assert len(commits) == 1
    assert calls == Counter([twice.volunteer_id, other.volunteer_id])
    assert count(matching, Inbox) == 2
    assert count(matching, Outbox) == 2


def test_a_lone_message_does_not_wait_for_a_batch_to_fill(matching: Service) -> None:
    """Batches of 20, one message: applied within the 15 ms wait plus its own work."""
    warm_up, lone = signed_up(), signed_up()
    with running_worker(matching, batch_size=20):
        publish_messages(matching.config.amqp_url, [warm_up])
        wait_until(lambda: holds(matching, Volunteer, warm_up.volunteer_id))  # consuming now
        published = time.monotonic()
        publish_messages(matching.config.amqp_url, [lone])
        wait_until(lambda: holds(matching, Volunteer, lone.volunteer_id), interval=0.005)
        took = time.monotonic() - published
    assert took < 1.0


def test_a_stopping_worker_applies_the_part_filled_batch_in_hand(matching: Service) -> None:
    """Five messages wait for fifteen more; told to stop, the worker applies and acks them."""
    events = [signed_up() for _ in range(5)]
    with running_worker(matching, batch_size=20, wait_seconds=60) as worker:
        publish_messages(matching.config.amqp_url, events)
        wait_until(lambda: ready(matching) == 0)  # all five delivered, none applied yet
        time.sleep(0.2)
        assert count(matching, Inbox) == 0
        worker.should_stop = True  # what SIGTERM does in run_worker
    assert count(matching, Volunteer) == 5
    with running_worker(
        matching, batch_size=20, wait_seconds=0.1
    ):  # nothing comes back: all were acked
        time.sleep(0.5)
    assert count(matching, Inbox) == 5


def test_batching_workers_stopped_under_load_lose_nothing_and_apply_nothing_twice(
    matching: Service,
) -> None:
    """`python -m matching worker` with WORKER_BATCH=20, two of them, while sign-ups trickle
    in (so batches are part-filled): one gets SIGTERM and exits 0; every volunteer is
    recorded once and announced once."""
    total = 400

    def trickle() -> Iterator[Any]:
        for _ in range(total):
            time.sleep(0.003)
            yield signed_up()

    stopping, staying = worker_processes(matching, 2, WORKER_BATCH="20")
    # Both consuming first: a SIGTERM while one is starting up kills it instead of stopping it.
    queue = topology.queue_name("matching")
    wait_until(lambda: queue_consumers(matching.config.amqp_url, queue) == 2, timeout=60)
    publisher = threading.Thread(
        target=publish_messages, args=(matching.config.amqp_url, trickle())
    )
    publisher.start()
    try:
        wait_until(lambda: count(matching, Volunteer) >= 100, timeout=30)
        stopping.send_signal(signal.SIGTERM)
        assert stopping.wait(timeout=15) == 0
        publisher.join(timeout=60)
        wait_until(lambda: count(matching, Volunteer) == total, timeout=60)
        time.sleep(0.5)  # anything applied twice would show up now
    finally:
        publisher.join(timeout=60)
        assert stop_processes([staying]) == [0]
    assert count(matching, Inbox) == total
    assert count(matching, Outbox) == total
