"""The consumer base's delivery rules, shown on the matching service's real worker.

Real: RabbitMQ (a private vhost) and PostgreSQL (a private database). Handlers are the real
ones, sometimes wrapped to fail on purpose.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from matching.adapters.models import Inbox, Outbox, Volunteer
from matching.bootstrap import bootstrap
from matching.service_layer.handlers import on_volunteer_signed_up
from sanctuary import parking
from sanctuary.runtime import Service
from sanctuary.unit_of_work import UnitOfWork
from sanctuary_dev.looking import count, holds, parked
from sanctuary_dev.looking import messages_counted as counted
from sanctuary_dev.messages import publish_message, publish_raw, signed_up
from sanctuary_dev.processes import running_worker, wait_until

pytestmark = pytest.mark.integration
SIGNED_UP = "volunteer.signed_up"


def has_volunteer(service: Service, volunteer_id: Any) -> bool:
    return holds(service, Volunteer, volunteer_id)


def messages_counted(outcome: str) -> float:
    """sanctuary_messages_total for matching's sign-ups with this outcome, in this process."""
    return counted("matching", SIGNED_UP, outcome)


def test_a_message_delivered_twice_is_applied_once(matching: Service) -> None:
    """The inbox turns the second copy into a no-op: one volunteer, one announcement."""
    first = signed_up()
    publish_message(
        matching.config.amqp_url, first, message_id="0b4f6f4e-0000-4000-8000-000000000001"
    )
    publish_message(
        matching.config.amqp_url, first, message_id="0b4f6f4e-0000-4000-8000-000000000001"
    )
    sentinel = signed_up()
    publish_message(matching.config.amqp_url, sentinel)
    duplicates_before = messages_counted("duplicate")
    with running_worker(matching):
        # One consumer on a FIFO queue: once the sentinel is in, both copies were handled.
        wait_until(lambda: has_volunteer(matching, sentinel.volunteer_id))
    assert messages_counted("duplicate") == duplicates_before + 1  # and Prometheus saw it
    assert count(matching, Volunteer) == 2
    assert count(matching, Inbox) == 2
    assert count(matching, Outbox) == 2  # one volunteer.registered per volunteer


def test_the_same_sign_up_under_a_new_message_id_is_applied_once(matching: Service) -> None:
    """A sign-up republished with a fresh id finds its volunteer recorded and does nothing."""
    event = signed_up()
    publish_message(matching.config.amqp_url, event)
    publish_message(matching.config.amqp_url, event)
    with running_worker(matching):
        wait_until(lambda: count(matching, Inbox) == 2)
    assert count(matching, Volunteer) == 1
    assert count(matching, Outbox) == 1


def test_a_handler_failing_transiently_twice_applies_on_the_third_try_after_delays(
    matching: Service,
) -> None:
    """Retries go through the delay queues (200 ms, then 400 ms here) and come back."""
    calls: list[float] = []

    def flaky(event: Any, uow: UnitOfWork) -> None:
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise ConnectionError("the database blinked")
        on_volunteer_signed_up(event, uow)

    event = signed_up()
    publish_message(matching.config.amqp_url, event)
    with running_worker(matching, {SIGNED_UP: flaky}):
        wait_until(lambda: has_volunteer(matching, event.volunteer_id))
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.2
    assert calls[2] - calls[1] >= 0.4
    assert parked(matching) == []


def test_a_message_failing_every_try_is_parked_with_the_reason(matching: Service) -> None:
    """Three delays configured: four tries, then the parking lot says why."""
    calls: list[int] = []

    def broken(event: Any, uow: UnitOfWork) -> None:
        calls.append(1)
        raise RuntimeError("the handler has a bug")

    message_id = publish_message(matching.config.amqp_url, signed_up())
    with running_worker(matching, {SIGNED_UP: broken}):
        found = wait_until(lambda: parked(matching), timeout=15)
    assert len(calls) == 4
    assert [p.message_id for p in found] == [message_id]
    assert found[0].reason == "gave up after 4 tries: RuntimeError: the handler has a bug"
    assert count(matching, Inbox) == 0


@pytest.mark.parametrize(
    ("body", "properties", "reason"),
    [
        (json.dumps({"volunteer_id": "not-a-uuid"}), {}, "schema violation"),
        ("{not json", {}, "body is not JSON"),
        (
            json.dumps({}),
            {"type": "volunteer.exploded"},
            "unknown message type 'volunteer.exploded'",
        ),
        (json.dumps({}), {"message_id": None}, "message_id and type properties are required"),
        (json.dumps({}), {"content_type": "text/plain"}, "content_type must be application/json"),
    ],
    ids=["schema-violation", "not-json", "unknown-type", "no-message-id", "wrong-content-type"],
)
def test_a_bad_message_is_parked_with_its_reason_and_the_next_one_still_applies(
    matching: Service, body: str, properties: dict[str, Any], reason: str
) -> None:
    """Permanent failures are never retried and never block the queue."""
    props = {
        "message_id": "5d0c0f84-0000-4000-8000-00000000bad1",
        "type": SIGNED_UP,
        "content_type": "application/json",
        "content_encoding": "utf-8",
        **properties,
    }
    publish_raw(
        matching.config.amqp_url,
        SIGNED_UP,
        body,
        **{k: v for k, v in props.items() if v is not None},
    )
    good = signed_up()
    with running_worker(matching):
        publish_message(matching.config.amqp_url, good)
        wait_until(lambda: has_volunteer(matching, good.volunteer_id))
        found = wait_until(lambda: parked(matching))
    assert len(found) == 1
    assert reason in found[0].reason
    if "email" in body:
        assert "email" in found[0].reason


def test_a_replayed_parked_message_is_applied_once_the_cause_is_fixed(matching: Service) -> None:
    """The operator's replay sends a parked message back to its queue with fresh tries."""
    bug = threading.Event()
    bug.set()

    def handler(event: Any, uow: UnitOfWork) -> None:
        if bug.is_set():
            raise RuntimeError("bug")
        on_volunteer_signed_up(event, uow)

    event = signed_up()
    message_id = publish_message(matching.config.amqp_url, event)
    from sanctuary.envelope import connect

    with running_worker(matching, {SIGNED_UP: handler}):
        wait_until(lambda: parked(matching), timeout=15)
        bug.clear()  # the fix is deployed
        with connect(matching.config.amqp_url) as connection:
            replayed = parking.replay(
                connection, "matching", matching.config.retry_delays_ms, [message_id]
            )
        assert replayed == [message_id]
        wait_until(lambda: has_volunteer(matching, event.volunteer_id))
    assert parked(matching) == []


def test_a_stopping_worker_finishes_the_message_in_hand(matching: Service) -> None:
    """Stop is only looked at between messages: the one being handled commits and is acked."""
    started, release = threading.Event(), threading.Event()

    def slow(event: Any, uow: UnitOfWork) -> None:
        started.set()
        release.wait(5)
        on_volunteer_signed_up(event, uow)

    event = signed_up()
    publish_message(matching.config.amqp_url, event)
    with running_worker(matching, {SIGNED_UP: slow}) as worker:
        assert started.wait(5)
        worker.should_stop = True
        release.set()
    assert has_volunteer(matching, event.volunteer_id)
    with running_worker(matching):  # nothing comes back: the message was acked
        time.sleep(0.5)
    assert count(matching, Inbox) == 1


def test_relays_and_workers_carry_on_after_the_broker_drops_every_connection(
    make_service: Callable[..., Service],
) -> None:
    """A broker restart or failover closes every connection; nothing is lost meanwhile."""
    import subprocess
    from urllib.parse import unquote, urlsplit

    from gateway.bootstrap import bootstrap as gateway_bootstrap
    from gateway.config import GatewayConfig
    from sanctuary_dev.processes import running_relay

    gateway = make_service(gateway_bootstrap, "gateway", GatewayConfig)
    matching = make_service(bootstrap, "matching")
    vhost = unquote(urlsplit(matching.config.amqp_url).path[1:])
    failures: list[str] = []

    def fails_once_each(event: Any, uow: UnitOfWork) -> None:
        # Each first try fails, so the worker republishes to a delay queue: before the drop
        # on its publishing connection, after it on a fresh one.
        if event.name not in failures:
            failures.append(event.name)
            raise ConnectionError("blip")
        on_volunteer_signed_up(event, uow)

    before, after = signed_up(name="Before"), signed_up(name="After")
    with running_relay(gateway), running_worker(matching, {SIGNED_UP: fails_once_each}):
        with gateway.unit_of_work("c-before") as uow:
            uow.publish(before)
        wait_until(lambda: has_volunteer(matching, before.volunteer_id))
        subprocess.run(
            [
                "rabbitmqctl",
                "-q",
                "close_all_connections",
                "--vhost",
                vhost,
                "--limit",
                "100",
                "test: broker going away",
            ],
            check=True,
        )
        with gateway.unit_of_work("c-after") as uow:
            uow.publish(after)
        wait_until(lambda: has_volunteer(matching, after.volunteer_id), timeout=30)
    assert failures == ["Before", "After"]
    assert count(matching, Volunteer) == 2


def test_the_status_command_shows_where_messages_wait(matching: Service) -> None:
    """`python -m matching status`: ready, retrying and parked messages, and outbox lag."""
    import json as _json
    import os
    import subprocess
    import sys

    from sanctuary_dev.messages import registered

    publish_message(matching.config.amqp_url, signed_up())
    publish_message(matching.config.amqp_url, signed_up())
    publish_raw(
        matching.config.amqp_url,
        "sanctuary.matching.parked",
        "{}",
        exchange="",
        message_id="p-1",
        type=SIGNED_UP,
    )
    with matching.unit_of_work("c") as uow:
        uow.publish(registered())
    env = {
        **os.environ,
        "MATCHING_DATABASE_URL": matching.config.database_url,
        "AMQP_URL": matching.config.amqp_url,
        "RETRY_DELAYS_MS": ",".join(map(str, matching.config.retry_delays_ms)),
    }
    answer = subprocess.run(
        [sys.executable, "-m", "matching", "status"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    report = _json.loads(answer.stdout)
    assert report["queues"] == {"ready": 2, "retrying": 0, "parked": 1}
    assert report["outbox"]["unsent"] == 1
    assert report["outbox"]["oldest_unsent_seconds"] >= 0


def test_the_probe_command_fails_with_the_reason_when_the_broker_is_away(
    matching: Service,
) -> None:
    """`python -m matching probe`: 0 when database and broker answer, 1 with the reason."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MATCHING_DATABASE_URL": matching.config.database_url}
    up = subprocess.run(
        [sys.executable, "-m", "matching", "probe"],
        capture_output=True,
        text=True,
        env={**env, "AMQP_URL": matching.config.amqp_url},
    )
    assert (up.returncode, up.stdout.strip()) == (0, "ok")
    down = subprocess.run(
        [sys.executable, "-m", "matching", "probe"],
        capture_output=True,
        text=True,
        env={**env, "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"},
    )
    assert down.returncode == 1
    assert down.stderr.startswith("broker: RabbitMQ is not reachable")
