"""The one-shot commands every service shares: `migrate`, `status`, `probe`, `parked` and
`erasures reapply`; each runs and exits (sanctuary.cli parses the command line)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from sanctuary import envelope, parking, topology
from sanctuary.db import ping
from sanctuary.failures import describe
from sanctuary.outbox import outbox_lag
from sanctuary.preflight import check_broker
from sanctuary.runtime import Service


def parked(service: Service, args: argparse.Namespace) -> int:
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


def status(service: Service) -> int:
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


def probe(service: Service) -> int:
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


def migrate(service: Service) -> None:
    """Bring the schema to the newest revision, then whatever the service seeds."""
    from sanctuary import migrations  # alembic: 7 MiB no other command or process needs

    migrations.upgrade(service.migrations, service.config.database_url, service.metadata)
    if service.after_migrate is not None:
        service.after_migrate(service)


def moment(text: str) -> datetime:
    """An ISO time from the command line; UTC unless it says otherwise."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reapply(service: Service, since: datetime) -> int:
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
