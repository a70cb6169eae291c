"""The system's processes in tests: workers and relays in threads, real processes started
the way production starts them, and waiting for what they do."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sanctuary.vocabulary import EventKind

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll `probe` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {probe}")
        time.sleep(interval)


@contextmanager
def running_worker(
    service: Any,
    handlers: Any = None,
    batch_size: int | None = None,
    wait_seconds: float | None = None,
) -> Iterator[Any]:
    """Run `service`'s worker in a thread for the block; `handlers` replace some of its own.
    Batches of `batch_size` (else the configuration's WORKER_BATCH), each waiting at most
    `wait_seconds` to fill (else the worker's own 15 ms)."""
    import threading

    from sanctuary.consumer import Worker
    from sanctuary.envelope import connect

    config = service.config
    worker = Worker(
        connect(config.amqp_url, heartbeat=30),
        service=config.service,
        handlers={**service.handlers, **(handlers or {})},
        sessions=service.sessions,
        inbox_model=service.inbox_model,
        outbox_model=service.outbox_model,
        retry_delays_ms=config.retry_delays_ms,
        prefetch=config.prefetch,
        batch_size=batch_size or config.worker_batch,
    )
    if wait_seconds is not None:
        worker.batch_wait_seconds = wait_seconds
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.should_stop = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "the worker did not stop"
        worker.redelivery.close()
        worker.connection.release()


@contextmanager
def running_relay(service: Any) -> Iterator[Any]:
    """Run `service`'s relay in a thread for the block."""
    import threading

    from sanctuary.envelope import connect
    from sanctuary.outbox import Relay

    config = service.config
    relay = Relay(
        service.sessions,
        service.outbox_model,
        connect(config.amqp_url),
        app_id=config.service,
        retry_delays_ms=config.retry_delays_ms,
        poll_seconds=config.relay_poll_seconds,
    )
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        relay.stopping.set()
        thread.join(timeout=10)
        relay.connection.release()


def schedule_cafe(client: Any, headers: dict[str, str]) -> str:
    """A social event a week ahead with two places, scheduled through the gateway's
    coordinator API by `client` (a Flask test client); its id."""
    from datetime import UTC, datetime, timedelta

    starts = datetime.now(UTC) + timedelta(days=7)
    scheduled = client.post(
        "/api/v1/events",
        headers=headers,
        json={
            "title": "Conversation café",
            "kind": EventKind.SOCIAL,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 2,
            "location": "Library",
        },
    )
    assert scheduled.status_code == 201, scheduled.json
    return str(scheduled.json["id"])


def _web_ports(smtp_port: int) -> dict[str, str]:
    """Four distinct free ports for the web processes, none the mail sink's."""
    from sanctuary_dev.mailsink import free_port

    chosen: set[int] = {smtp_port}
    while len(chosen) < 5:
        chosen.add(free_port())
    names = ("GATEWAY_PORT", "MATCHING_PORT", "EVENTS_PORT", "NOTIFICATIONS_PORT")
    return dict(zip(names, map(str, sorted(chosen - {smtp_port})), strict=True))


def _system_env(
    ports: dict[str, str], amqp_url: str, var_dir: Path, smtp_port: int, env: dict[str, str]
) -> dict[str, str]:
    """The environment `scripts/run` gets: this venv's commands first on the PATH, and no
    secret, as on a newcomer's machine (it makes its own in var/)."""
    import os
    import sys

    from sanctuary_dev.secrets import TEST_SECRETS

    return {
        **{name: value for name, value in os.environ.items() if name not in TEST_SECRETS},
        **ports,
        "AMQP_URL": amqp_url,
        "VAR_DIR": str(var_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        **env,
    }


@contextmanager
def running_system(
    root: Path, amqp_url: str, var_dir: Path, smtp_port: int, **env: str
) -> Iterator[str]:
    """The whole system as `make run` starts it (scripts/run), on free ports, mailing to
    127.0.0.1:`smtp_port`; yields the gateway's base URL and stops it all with Ctrl-C (SIGINT)."""
    import os
    import signal

    import requests

    ports = _web_ports(smtp_port)
    full_env = _system_env(ports, amqp_url, var_dir, smtp_port, env)
    var_dir.mkdir(parents=True, exist_ok=True)
    log = (var_dir / "run.log").open("wb")
    process = subprocess.Popen(
        [str(root / "scripts" / "run")],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    gateway = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"

    def ready() -> bool:
        assert process.poll() is None, f"scripts/run ended early; see {var_dir / 'run.log'}"
        try:
            return requests.get(f"{gateway}/readyz", timeout=1).status_code == 200
        except requests.RequestException:  # not listening yet, or still booting its worker
            return False

    try:
        wait_until(ready, timeout=60, interval=0.2)
        yield gateway
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            log.close()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            else:
                raise AssertionError("processes were still running after Ctrl-C")


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve a service's Flask app on a free port, a thread per request; yields its base URL
    and disposes of the app's engine afterwards."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["service"].engine.dispose()


def worker_processes(service: Any, how_many: int, **env: str) -> list[subprocess.Popen[bytes]]:
    """`python -m <service> worker` processes on the service's database and vhost."""
    import os
    import sys

    config = service.config
    full_env = {
        **os.environ,
        f"{config.service.upper()}_DATABASE_URL": config.database_url,
        "AMQP_URL": config.amqp_url,
        # The service's own link secret when its test gave one (else the run's, from the
        # environment): the workers must sign links as the test's service does.
        **({"LINK_SECRET": config.link_secret} if config.link_secret else {}),
        "RETRY_DELAYS_MS": ",".join(map(str, config.retry_delays_ms)),
        **env,
    }
    return [
        subprocess.Popen(
            [sys.executable, "-m", config.service, "worker"],
            env=full_env,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(how_many)
    ]


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM each process and return their exit codes."""
    import signal

    for process in processes:
        process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=30) for process in processes]


def web_process(service: Any, app: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    """`app` under gunicorn as docker-compose and Kubernetes run it (sanctuary.serving, two
    workers), on 127.0.0.1:`port`, with the service's database and broker."""
    import os
    import sys

    config = service.config
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *("-c", "python:sanctuary.serving"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            app,
        ],
        env={
            **os.environ,
            f"{config.service.upper()}_DATABASE_URL": config.database_url,
            "AMQP_URL": config.amqp_url,
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def http_status(url: str) -> int:
    """The status of GET `url`, or 0 while nothing answers there."""
    import requests

    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:  # not listening yet
        return 0
