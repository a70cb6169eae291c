"""One trial: fresh databases and a fresh vhost, the whole system, steady load while a fault
plays out, then the count: sent, accepted, lost, duplicated, time to recover."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from chaos import mail as trial_mail
from chaos.load import Load
from chaos.mail import BOUNCE_PREFIX, TrialMail
from chaos.servers import PostgresCluster, RabbitNode
from chaos.system import SERVICES, System, running, system_env

CAPACITY = 100  # places at each trial's event
DRAIN_SECONDS = 300  # how long every accepted request's email may take after the load ends
SETTLE_SECONDS = 5  # waited after the last expected email, for any second copy to show up
DEPTH_EVERY = 5.0  # seconds between looks at the queue depths


@dataclass
class Window:
    """What a fault plays with, and when the load began (time.time())."""

    system: System
    mail: TrialMail
    nodes: list[RabbitNode]
    postgres: PostgresCluster
    load: Load
    began: float
    figures: dict[str, Any] = field(default_factory=dict)

    def at(self, seconds: float) -> None:
        """Sleep until `seconds` after the load began."""
        pause = self.began + seconds - time.time()
        if pause > 0:
            time.sleep(pause)


Fault = Callable[[Window], float]  # plays the fault out; returns when it ended (time.time())


@dataclass
class Outcome:
    trial: str
    sent: int
    accepted: int
    refused: dict[str, int]
    lost: int
    duplicated: int
    recovered_seconds: float | None
    restarts: int
    places: str
    deepest_queue: int
    figures: dict[str, Any]


@dataclass
class Setting:
    """Where a trial runs: the servers, the scratch folder, the load's rate."""

    folder: Path
    postgres: PostgresCluster
    rate: float


def _databases(postgres: PostgresCluster, trial: str) -> dict[str, str]:
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    urls = {}
    with admin.connect() as connection:
        for service in SERVICES:
            name = f"{trial}_{service}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = postgres.url(name)
    admin.dispose()
    return urls


def _vhost(nodes: list[RabbitNode], trial: str) -> str:
    name = f"chaos-{trial}-{uuid.uuid4().hex[:6]}"
    nodes[0].ctl("add_vhost", name)
    nodes[0].ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return ";".join(node.url.replace("/%2F", f"/{name}") for node in nodes)


def schedule_event(system: System) -> str:
    """A training a week ahead with CAPACITY places, through the coordinators' API."""
    starts = datetime.now(UTC) + timedelta(days=7)
    made = requests.post(
        f"{system.gateway}/api/v1/events",
        headers=system.admin,
        timeout=10,
        json={
            "title": "Befriending: the first session",
            "kind": "training",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": CAPACITY,
            "location": "Online",
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def run_trial(
    name: str, setting: Setting, fault: Fault, nodes: list[RabbitNode], bounce_every: int = 0
) -> Outcome:
    """Run `fault` under load on a system of its own; count what became of every request."""
    urls = _databases(setting.postgres, name)
    amqp_url = _vhost(nodes, name)
    controller, mail = trial_mail.start()
    env = system_env(urls, amqp_url, controller.port, setting.folder / name)
    try:
        with running(env, setting.folder / name / "logs") as system:
            event_id = schedule_event(system)
            vhost = amqp_url.split(";")[0].rsplit("/", 1)[1]
            depths = _DepthWatch(nodes, vhost)
            with depths, Load(system.gateway, event_id, setting.rate, name, bounce_every) as load:
                window = Window(system, mail, nodes, setting.postgres, load, time.time())
                ended = fault(window)
            return _count(name, window, ended, urls, event_id, depths.deepest)
    finally:
        controller.stop()


def _count(
    name: str, window: Window, ended: float, urls: dict[str, str], event_id: str, deepest: int
) -> Outcome:
    load, mail = window.load, window.mail
    expected = [a for a in load.accepted() if not a.startswith(BOUNCE_PREFIX)]
    deadline = time.time() + DRAIN_SECONDS
    while time.time() < deadline and any(mail.emails_to(a) == 0 for a in expected):
        time.sleep(0.5)
    time.sleep(SETTLE_SECONDS)
    last = mail.last_arrival(expected)
    statuses = Counter(str(a.status) for a in load.answers if a.status != 202)
    return Outcome(
        trial=name,
        sent=len(load.answers),
        accepted=len(load.accepted()),
        refused=dict(statuses),
        lost=sum(mail.emails_to(a) == 0 for a in expected) + _missing(urls, load),
        duplicated=sum(mail.emails_to(a) > 1 for a in expected),
        recovered_seconds=round(last - ended, 1) if last > ended else None,
        restarts=sum(window.system.restarts.values()),
        places=_places(urls["events"], event_id, len(load.accepted("registration"))),
        deepest_queue=deepest,
        figures=window.figures,
    )


def _missing(urls: dict[str, str], load: Load) -> int:
    """Accepted sign-ups with no volunteer in matching's database (or more than one)."""
    engine = create_engine(urls["matching"])
    with engine.connect() as connection:
        held = connection.scalar(text("SELECT count(*) FROM volunteers")) or 0
    engine.dispose()
    return abs(len(load.accepted("sign-up")) - int(held))


def _places(events_url: str, event_id: str, accepted: int) -> str:
    """'100 of 100 places, 140 waiting' as the events database holds it; marked when the
    places or the waiting list do not add up to the registrations accepted."""
    engine = create_engine(events_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, count(*) FROM registrations WHERE event_id = :e GROUP BY status"),
            {"e": uuid.UUID(event_id)},
        )
        counts = {status: int(n) for status, n in rows}
    engine.dispose()
    confirmed, waiting = counts.get("confirmed", 0), counts.get("waitlisted", 0)
    sound = confirmed == min(CAPACITY, accepted) and confirmed + waiting == accepted
    others = {k: v for k, v in counts.items() if k not in ("confirmed", "waitlisted")}
    text_ = f"{confirmed} of {CAPACITY} places, {waiting} waiting"
    return text_ + ("" if sound and not others else f" (NOT SOUND: {accepted} accepted, {others})")


class _DepthWatch:
    """The deepest any main queue of the vhost got, looked at every DEPTH_EVERY seconds."""

    def __init__(self, nodes: list[RabbitNode], vhost: str) -> None:
        self.nodes, self.vhost, self.deepest = nodes, vhost, 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> _DepthWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()

    def _watch(self) -> None:
        while not self.stopping.wait(DEPTH_EVERY):
            for node in self.nodes:
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    depths = node.depths(self.vhost)  # fails on the node that is down
                    mains = [n for q, n in depths.items() if q.count(".") == 1]
                    self.deepest = max(self.deepest, *mains, 0)
                    break
