"""Before starting: is the broker there, is the database there with its schema? Say what is
missing in one line, and wait for it with backoff instead of crashing.

`python -m sanctuary.preflight` checks the broker once, for `make run`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kombu.utils.url import maybe_sanitize_url
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from sanctuary import envelope, redact
from sanctuary.config import DEFAULT_AMQP_URL

log = logging.getLogger(__name__)
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0


class GaveUp(SystemExit):
    """A dependency did not come within the allowed wait: exit 1 with the reason."""


def check_broker(url: str, timeout: float = 5) -> str | None:
    """None if the broker at `url` accepts a connection, else a one-line explanation."""
    reason = broker_problem(url, timeout)
    if reason is None:
        return None
    return (
        f"RabbitMQ is not reachable at {maybe_sanitize_url(url)} ({reason.split(':')[0]}). "
        "Start one with `rabbitmq-server -detached` (or `docker compose up -d rabbitmq`), "
        "or point AMQP_URL at one."
    )


def broker_problem(url: str, timeout: float = 5) -> str | None:
    """None if the broker accepts a login to the vhost of `url`, else the short reason."""
    connection = envelope.connect(url)
    try:
        # No retry here: the caller decides when to ask again. Each node of a cluster's URL
        # is tried once (kombu moves to the next host on each failure, with no wait).
        connection.ensure_connection(max_retries=url.count(";"), timeout=timeout)
    except Exception as exc:  # refused, unknown vhost, bad login: all "not there yet"
        return short_reason(exc)
    finally:
        connection.release()
    return None


def database_problem(engine: Engine, migrations: Path) -> str | None:
    """None if the database answers and its schema is at this code's head (or newer, during a
    rollout), else the short reason."""
    # Here, not at the top: alembic (with mako) is 7 MiB a process, and only this check and
    # the `migrate` command use it (see database_problem_apart).
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return short_reason(exc)
    script = ScriptDirectory(str(migrations))
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    if not current:
        return "the schema is not there yet: run `migrate` (the web pod's initContainer does)"
    if current != heads and current <= known:
        return f"the schema is at {sorted(current)}; this code needs {sorted(heads)}"
    return None


def database_problem_apart(engine: Engine, migrations: Path) -> str | None:
    """database_problem's answer, found in a forked child: a long-running process checks its
    schema once, at start, and need not hold alembic for the rest of its life. The child
    opens its own connections (the parent's pool is not shared) and only writes its answer."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read)
            engine.dispose(close=False)  # new connections of its own; the parent's stay
            answer = database_problem(engine, migrations)
            os.write(write, json.dumps(answer).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not said:
        return "the schema check failed in its child process"
    answer = json.loads(said)
    return None if answer is None else str(answer)


def short_reason(exc: BaseException) -> str:
    """The failure in one short line, for a log: its type and first line, emails blanked."""
    first_line = (str(exc).splitlines() or [""])[0][:200]
    return redact.emails(
        f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    )


def delays(
    first: float = FIRST_DELAY_SECONDS,
    cap: float = MAX_DELAY_SECONDS,
    jitter: Callable[[], float] = random.random,
) -> Iterator[float]:
    """Exponential backoff, capped, with jitter: each delay is between half and all of
    first * 2**n (at most `cap`), so processes restarted together do not knock in step."""
    step = first
    while True:
        yield round(step * (0.5 + 0.5 * jitter()), 2)
        step = min(step * 2, cap)


def wait_for(
    what: str,
    problem: Callable[[], str | None],
    *,
    target: str,
    max_wait: float,
    stopping: threading.Event,
    backoff: Iterator[float] | None = None,
) -> bool:
    """Ask `problem()` until it answers None, logging one line per failed attempt. Returns
    False if `stopping` was set meanwhile; raises GaveUp after `max_wait` seconds."""
    started = time.monotonic()
    for attempt, delay in enumerate(backoff or delays(), start=1):
        reason = problem()
        if reason is None:
            if attempt > 1:
                log.info(
                    "%s is there", what, extra={"event": f"{what} is there", "attempt": attempt}
                )
            return True
        waited = time.monotonic() - started
        if waited + delay > max_wait:
            log.error(
                "gave up waiting for %s after %.0f s: %s",
                what,
                waited,
                reason,
                extra={"event": f"gave up waiting for {what}", "target": target, "reason": reason},
            )
            raise GaveUp(
                f"gave up waiting for {what} at {target} after {waited:.0f} s "
                f"(STARTUP_WAIT_SECONDS={max_wait:g}): {reason}"
            )
        log.warning(
            "waiting for %s",
            what,
            extra={
                "event": f"waiting for {what}",
                "attempt": attempt,
                "retry_in_s": delay,
                "reason": reason,
                "target": target,
            },
        )
        if stopping.wait(delay):
            return False
    return False  # pragma: no cover (delays() never ends)


def safe_amqp_url(url: str) -> str:
    """The broker's address and vhost, without the login: fit for a log line. A cluster's
    URL names each node, separated by ';' (kombu's failover list): each is shown so."""
    shown = []
    for one in url.split(";"):
        parts = urlsplit(one.strip())
        host = f"{parts.hostname or 'localhost'}:{parts.port or 5672}"
        shown.append(urlunsplit(parts._replace(netloc=host)))
    return ";".join(shown)


def safe_database_url(url: str) -> str:
    """The database's address and name, without the login: fit for a log line."""
    return make_url(url)._replace(username=None, password=None).render_as_string()


def main() -> int:
    """Exit 1 with one clear line when the broker is unreachable."""
    problem = check_broker(os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
