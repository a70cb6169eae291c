"""`python -m <service> ...`: the command line every service shares (parsed before the
environment is read, so `--help` needs no setting), and the long-running processes: worker,
relay, a service's own clock or mailer, or all of them together (`background`). The one-shot
commands (migrate, status, probe, parked, erasures) are in sanctuary.commands.

Each command is a composition root: it reads the environment once (through the service's
bootstrap), opens its connections, runs until SIGTERM or SIGINT, and closes them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from argparse import ArgumentParser
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sanctuary import (
    commands,
    envelope,
    logs,
    metrics,
    preflight,
    wakeup,
)
from sanctuary.consumer import Worker
from sanctuary.outbox import Relay
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
            lambda: preflight.database_problem_apart(service.engine, service.migrations),
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


class Commands(Protocol):
    """More commands of one service, which need no process of it (the gateway's accounts)."""

    COMMANDS: tuple[str, ...]

    def add_parsers(self, sub: Any) -> None: ...

    def run(self, bootstrap: Callable[[], Service], args: argparse.Namespace) -> int: ...


def _parser(prog: str, processes: Mapping[str, str], more: Commands | None) -> ArgumentParser:
    """Every command, known before the environment is read: `--help` needs no setting."""
    parser = ArgumentParser(prog=prog, description="Run a process of this service, or a command.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    sub.add_parser("migrate", help="bring the database to the newest schema")
    sub.add_parser("worker", help="consume this service's messages")
    sub.add_parser("relay", help="publish this service's outbox")
    for name, what in processes.items():
        sub.add_parser(name, help=what)
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
        "--since", type=commands.moment, required=True, help="ISO time: 2026-12-01T02:00Z (UTC)"
    )
    if more is not None:
        more.add_parsers(sub)
    return parser


def main(
    bootstrap: Callable[[], Service],
    argv: Sequence[str] | None = None,
    *,
    processes: Mapping[str, str] | None = None,
    more: Commands | None = None,
) -> int:
    """Parse the command line and run one process of the service that `bootstrap` wires;
    `processes` names (and says what is) each process of its own (its clock, its mailer)."""
    processes = processes or {}
    prog = f"python -m {bootstrap.__module__.partition('.')[0]}"
    args = _parser(prog, processes, more).parse_args(argv)
    if more is not None and args.command in more.COMMANDS:
        return more.run(bootstrap, args)
    service = bootstrap()
    logs.configure(service.config.service, service.config.log_level)
    run: dict[str, Callable[[], Any]] = {
        "migrate": lambda: commands.migrate(service),
        "worker": lambda: run_worker(service),
        "relay": lambda: run_relay(service),
        "background": lambda: run_together(service),
        "parked": lambda: commands.parked(service, args),
        "erasures": lambda: commands.reapply(service, args.since),
        "status": lambda: commands.status(service),
        "probe": lambda: commands.probe(service),
        **{name: make(service) for name, make in service.commands.items()},
    }
    if args.command in ("worker", "relay", "background", *service.commands):
        metrics.serve(service.config.metrics_host, service.config.metrics_port)
        # Only workers and relays talk to the broker; clocks and the mailer need the database.
        broker = args.command in ("worker", "relay", "background")
        if not wait_for_dependencies(service, broker=broker):
            return 0  # told to stop while waiting
    result = run[args.command]()
    return result if isinstance(result, int) else 0
