"""The process commands every service shares: `python -m <service> migrate|worker|relay|parked|
erasures`.

Each command is a composition root: it reads the environment once (through the service's
bootstrap), opens its connections, runs until SIGTERM or SIGINT, and closes them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from sanctuary import envelope, logs, metrics, migrations, parking, preflight, topology, wakeup
from sanctuary.consumer import Worker
from sanctuary.db import ping
from sanctuary.failures import describe
from sanctuary.outbox import Relay, outbox_lag
from sanctuary.preflight import check_broker
from sanctuary.runtime import Service
from sanctuary.signals import on_stop_signals

log = logging.getLogger(__name__)


def run_worker(service: Service) -> None:
    """Consume the service's queue until told to stop; what is in hand is finished first."""
    config = service.config
    if service.inbox_model is None:
        raise SystemExit(f"{config.service} consumes no messages: it has no worker")
    connection = envelope.connect(config.amqp_url, heartbeat=30)
    worker = Worker(
        connection,
        service=config.service,
        handlers=service.handlers,
        sessions=service.sessions,
        inbox_model=service.inbox_model,
        outbox_model=service.outbox_model,
        retry_delays_ms=config.retry_delays_ms,
        prefetch=config.prefetch,
        batch_size=config.worker_batch,
    )
    on_stop_signals(lambda: setattr(worker, "should_stop", True))
    try:
        worker.run()
    finally:
        worker.redelivery.close()
        connection.release()


def run_relay(service: Service) -> None:
    """Publish the service's outbox until told to stop."""
    config = service.config
    upkeep = service.housekeeping
    relay = Relay(
        service.sessions,
        service.outbox_model,
        envelope.connect(config.amqp_url),
        app_id=config.service,
        retry_delays_ms=config.retry_delays_ms,
        poll_seconds=config.relay_poll_seconds,
        retention=timedelta(hours=config.outbox_retention_hours),
        housekeeping=(lambda: upkeep(service)) if upkeep else None,
        wakeup=wakeup.for_table(service.engine, service.outbox_model.__tablename__),
    )
    on_stop_signals(relay.stopping.set)
    try:
        relay.run()
    finally:
        relay.connection.release()


def run_together(service: Service) -> int:
    """Every loop of the service but its web process in one process, a thread each: the
    worker (if it consumes), the relay and its own (clock, mailer). `make run` runs these;
    compose and Kubernetes run each loop as its own process, to scale it on its own. A loop
    that fails stops the others (SIGTERM to this process), and the process exits 1."""
    loops = {"relay": lambda: run_relay(service)}
    if service.inbox_model is not None:
        loops["worker"] = lambda: run_worker(service)
    loops.update({name: make(service) for name, make in service.commands.items()})
    failed = threading.Event()

    def guarded(name: str, loop: Callable[[], object]) -> None:
        try:
            loop()
        except BaseException:
            log.exception("the %s loop failed: stopping the others", name)
            failed.set()
            os.kill(os.getpid(), signal.SIGTERM)

    threads = [
        threading.Thread(target=guarded, args=(name, loop), name=name)
        for name, loop in loops.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 1 if failed.is_set() else 0


def run_background(loop: Callable[[threading.Event], None]) -> None:
    """Run a polling loop (like the mailer) until SIGTERM or SIGINT."""
    stopping = threading.Event()
    on_stop_signals(stopping.set)
    loop(stopping)


def wait_for_dependencies(service: Service, *, broker: bool) -> bool:
    """Wait (backoff, one log line a try) for the database at this code's schema and, for
    processes that use it, the broker: processes start in any order. False if stopped."""
    config = service.config
    stopping = threading.Event()
    on_stop_signals(stopping.set)
    waits = [
        (
            "database",
            lambda: preflight.database_problem(service.engine, service.migrations),
            preflight.safe_database_url(config.database_url),
        )
    ]
    if broker:
        waits.append(
            (
                "broker",
                lambda: preflight.broker_problem(config.amqp_url),
                preflight.safe_amqp_url(config.amqp_url),
            )
        )
    for what, problem, target in waits:
        with metrics.waiting(config.service, what):
            if not preflight.wait_for(
                what,
                problem,
                target=target,
                max_wait=config.startup_wait_seconds,
                stopping=stopping,
            ):
                return False
    return True


def _parked(service: Service, args: argparse.Namespace) -> int:
    config = service.config
    with envelope.connect(config.amqp_url) as connection:
        if args.action == "list":
            rows = parking.list_parked(connection, config.service, config.retry_delays_ms)
            for row in rows:
                print(json.dumps(asdict(row)))
            print(f"{len(rows)} parked message(s) in {config.service}", file=sys.stderr)
            return 0
        ids = None if args.all else args.message_ids
        if not ids and not args.all:
            print("name message ids to replay, or --all", file=sys.stderr)
            return 2
        done = parking.replay(connection, config.service, config.retry_delays_ms, ids)
        print(f"replayed {len(done)} message(s): {' '.join(done)}", file=sys.stderr)
        return 0


def _status(service: Service) -> int:
    """Where this service's messages wait: queue depths and outbox lag, as one JSON object."""
    config = service.config
    lag = outbox_lag(service.sessions, service.outbox_model)
    report: dict[str, Any] = {"service": config.service, "outbox": lag}
    if config.service in topology.SUBSCRIPTIONS:
        with envelope.connect(config.amqp_url) as connection:
            report["queues"] = queue_depths(connection, config.service, config.retry_delays_ms)
    print(json.dumps(report))
    return 0


def queue_depths(connection: Any, name: str, delays: tuple[int, ...]) -> dict[str, int]:
    """Messages ready in the service's queue, waiting to be retried, and parked."""
    queues = topology.service_queues(name, delays)
    channel = connection.channel()
    topology.declare_all(channel, delays)

    def depth(queue: Any) -> int:
        return int(queue(channel).queue_declare(passive=True).message_count)

    return {
        "ready": depth(queues.main),
        "retrying": sum(depth(q) for q in queues.retries),
        "parked": depth(queues.parked),
    }


def _probe(service: Service) -> int:
    """Exit 0 when the database and the broker answer, else 1 with the reason: the liveness
    and readiness probe of workers, relays, clocks and mailers."""
    problems = []
    try:
        ping(service.engine)
    except SQLAlchemyError as exc:
        problems.append(f"database: {describe(exc)}")
    broker = check_broker(service.config.amqp_url)
    if broker:
        problems.append(f"broker: {broker}")
    print("; ".join(problems) or "ok", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


def _migrate(service: Service) -> None:
    """Bring the schema to the newest revision, then whatever the service seeds."""
    migrations.upgrade(service.migrations, service.config.database_url, service.metadata)
    if service.after_migrate is not None:
        service.after_migrate(service)


def _moment(text: str) -> datetime:
    """An ISO time from the command line; UTC unless it says otherwise."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reapply(service: Service, since: datetime) -> int:
    """Announce again every erasure in this service's log since `since` (no email, the same
    ids and times): after another service's database is restored from a backup older than
    them, that service applies the ones it lacks; every other finds them in its log."""
    if service.erasure_log is None:
        raise SystemExit(f"{service.config.service} keeps no erasure log")
    with service.unit_of_work() as uow:
        again = service.erasure_log(uow.session, since)
        for request in again:
            uow.publish(request)
    print(
        f"{len(again)} erasure(s) since {since.isoformat()} announced again by "
        f"{service.config.service}; its relay publishes them",
        file=sys.stderr,
    )
    return 0


def main(bootstrap: Callable[[], Service], argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one process of the service that `bootstrap` wires."""
    parser = argparse.ArgumentParser(description="Run one process of this service.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    sub.add_parser("worker", help="consume this service's messages")
    sub.add_parser("relay", help="publish this service's outbox")
    sub.add_parser("background", help="worker, relay, clock or mailer: one process (make run)")
    sub.add_parser("status", help="queue depths and outbox lag, as JSON")
    sub.add_parser("probe", help="exit 0 if the database and the broker answer")
    parked = sub.add_parser("parked", help="list or replay parked messages")
    parked.add_argument("action", choices=["list", "replay"])
    parked.add_argument("message_ids", nargs="*", help="ids to replay")
    parked.add_argument("--all", action="store_true", help="replay every parked message")
    erasures = sub.add_parser(
        "erasures", help="announce again the erasures since a time (after a restore from backup)"
    )
    erasures.add_argument("action", choices=["reapply"])
    erasures.add_argument(
        "--since", required=True, type=_moment, help="ISO time, e.g. 2026-12-01T02:00Z (UTC)"
    )
    service = bootstrap()
    for name in service.commands:
        sub.add_parser(name, help=f"run the {name} process")
    args = parser.parse_args(argv)
    logs.configure(service.config.service, service.config.log_level)
    commands: dict[str, Callable[[], Any]] = {
        "migrate": lambda: _migrate(service),
        "worker": lambda: run_worker(service),
        "relay": lambda: run_relay(service),
        "background": lambda: run_together(service),
        "parked": lambda: _parked(service, args),
        "erasures": lambda: _reapply(service, args.since),
        "status": lambda: _status(service),
        "probe": lambda: _probe(service),
        **{name: make(service) for name, make in service.commands.items()},
    }
    if args.command in ("worker", "relay", "background", *service.commands):
        metrics.serve(service.config.metrics_host, service.config.metrics_port)
        # Only workers and relays talk to the broker; clocks and the mailer need the database.
        broker = args.command in ("worker", "relay", "background")
        if not wait_for_dependencies(service, broker=broker):
            return 0  # told to stop while waiting
    result = commands[args.command]()
    return result if isinstance(result, int) else 0
