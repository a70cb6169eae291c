"""The faults, each played out under load in a Window (chaos.runner): when it starts, how long
it lasts, what it does. Each returns when the fault ended; durations are scaled by SCALE
(CHAOS_SCALE: 1 for the full trials, less for a quick look)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid

from kombu import Connection, Producer
from sanctuary.contracts.privacy import ErasureRequested
from sanctuary.topology import queue_name

from chaos.runner import Window
from chaos.steady import steady

SCALE = float(os.environ.get("CHAOS_SCALE", "1"))
KILL_EVERY = 3.0  # seconds between two SIGKILLs in the kill trial
CONSUMERS = ("gateway", "matching", "events", "notifications")  # every service with a queue


def seconds(full: float) -> float:
    return max(2.0, full * SCALE)


def sustained(window: Window) -> float:
    """No fault: CHAOS_STEADY_RATE requests a second for 5 minutes, and what they cost."""
    return steady(window, seconds(300))


def kills(window: Window) -> float:
    """SIGKILL a random worker, relay, clock or mailer every KILL_EVERY seconds for 5
    minutes; the supervisor starts each again."""
    rng = random.Random(17)
    end = window.began + seconds(300)
    while time.time() + KILL_EVERY < end:
        time.sleep(KILL_EVERY)
        window.system.kill_one(rng)
    window.figures["killed"] = sum(window.system.killed.values())
    window.figures["by process"] = dict(window.system.killed)
    window.at(seconds(300))
    return time.time()


def broker_away(window: Window) -> float:
    """The broker stops (every connection closed, the port refused) for 60 s, then returns."""
    window.at(seconds(15))
    window.nodes[0].ctl("stop_app")
    window.at(seconds(15) + seconds(60))
    window.nodes[0].ctl("start_app")
    back = time.time()
    _first_email_after(window, back, "first email after the broker returned (s)")
    window.at(seconds(15) + seconds(60) + seconds(15))
    return back


def node_lost(window: Window) -> float:
    """One node of three (the first of AMQP_URL's hosts, where every client connected) is
    SIGKILLed; 30 s later it starts again and rejoins."""
    window.at(seconds(15))
    window.nodes[0].kill()
    lost = time.time()
    window.at(seconds(15) + seconds(30))
    window.nodes[0].start()
    back = time.time()
    window.figures["longest pause in the emails after the loss (s)"] = round(
        window.mail.longest_gap(lost, back), 1
    )
    window.figures["node back and rejoined after (s)"] = round(back - lost, 1)
    window.at(seconds(15) + seconds(30) + seconds(15))
    return back


def database_away(window: Window) -> float:
    """PostgreSQL crashes (immediate stop: every connection cut) and is back 30 s later."""
    window.at(seconds(15))
    window.postgres.crash()
    down = time.time()
    window.at(seconds(15) + seconds(30))
    window.postgres.start()
    back = time.time()
    window.at(seconds(15) + seconds(30) + seconds(15))
    answers = [a for a in window.load.answers if down <= a.at]
    window.figures["503 without Retry-After"] = sum(
        a.status == 503 and a.retry_after is None for a in window.load.answers
    )
    after = sorted(a.at for a in answers if a.at > back and a.status == 202)
    if after:
        window.figures["first 202 after its return (s)"] = round(after[0] - back, 1)
    return back


def smtp_refusing(window: Window) -> float:
    """The mail server answers 451 to everything for 2 minutes, then 250 again; one sign-up in
    ten all along is for a mailbox it refuses for good (550)."""
    window.at(seconds(10))
    window.mail.failing.set()
    window.at(seconds(10) + seconds(120))
    window.mail.failing.clear()
    back = time.time()
    window.at(seconds(10) + seconds(120) + seconds(10))
    bounced = window.mail.bounced
    window.figures["451s answered"] = sum(window.mail.refused.values())
    window.figures["550 addresses"] = len(bounced)
    window.figures["550 answered more than once"] = sum(n > 1 for n in bounced.values())
    return back


def poison(window: Window) -> float:
    """Four kinds of poison straight into each consuming queue: no envelope, a body that is
    not JSON, an unknown type, a known type with a body its schema refuses. Each must be
    parked with its reason while the load flows; a replay of all of them parks them again
    (nothing fixed them) and applies nothing."""
    window.at(seconds(10))
    url = window.system.env["AMQP_URL"]
    sent = _publish_poison(url)
    window.at(seconds(40))
    parked = _wait_parked(window, sent)
    window.figures["poison published"] = sent
    window.figures["parked, with a reason"] = parked
    for service in CONSUMERS:
        _cli(window, service, "parked", "replay", "--all")
    window.figures["parked again after replay"] = _wait_parked(window, sent)
    window.at(seconds(60))
    return time.time()


def _publish_poison(url: str) -> int:
    sent = 0
    with Connection(url, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.channel())
        for service in CONSUMERS:
            queue = queue_name(service)
            envelope = {"message_id": str(uuid.uuid4()), "content_type": "application/json"}
            kinds: tuple[tuple[bytes, dict[str, str]], ...] = (
                (b'{"hello": "world"}', {}),
                (b"\xff not json", {**envelope, "type": ErasureRequested.TYPE}),
                (b"{}", {**envelope, "type": "no.such.type"}),
                (b'{"person": 7}', {**envelope, "type": ErasureRequested.TYPE}),
            )
            for body, properties in kinds:
                properties = {**properties, "message_id": str(uuid.uuid4())} if properties else {}
                producer.publish(body, exchange="", routing_key=queue, retry=False, **properties)
                sent += 1
    return sent


def _wait_parked(window: Window, expected: int) -> int:
    """How many parked messages, with a reason, the services list (waiting up to 30 s for
    `expected`)."""
    deadline, found = time.time() + 30, 0
    while time.time() < deadline:
        found = 0
        for service in CONSUMERS:
            lines = _cli(window, service, "parked", "list").splitlines()
            found += sum(bool(json.loads(line).get("reason")) for line in lines if line)
        if found >= expected:
            break
        time.sleep(2)
    return found


def _cli(window: Window, service: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", service, *args],
        env=window.system.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


def _first_email_after(window: Window, moment: float, label: str) -> None:
    """Record, in the background, how long after `moment` the first email arrived."""

    def watch() -> None:
        deadline = moment + 120
        while time.time() < deadline:
            first = window.mail.first_arrival_after(moment)
            if first is not None:
                window.figures[label] = round(first - moment, 1)
                return
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
