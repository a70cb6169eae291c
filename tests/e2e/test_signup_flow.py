"""End to end: `scripts/run` (what `make run` starts) with every real process, HTTP in, email out.

Real: every process of every service under honcho, gunicorn for the web processes, RabbitMQ
(a private vhost), SQLite files (as `make run` uses), and an SMTP server (aiosmtpd) that the
test reads mail from.
"""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sanctuary import mailsink
from sanctuary.testing import wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class System:
    """The running system: where the gateway answers and where mail lands."""

    gateway: str
    mail: Path
    process: subprocess.Popen[bytes]


@pytest.fixture
def system(amqp_url: str, tmp_path: Path) -> Iterator[System]:
    """The whole system started by scripts/run, stopped with Ctrl-C (SIGINT) afterwards."""
    sink = mailsink.start(tmp_path / "mail")
    ports = {
        name: str(mailsink.free_port())
        for name in ("GATEWAY_PORT", "MATCHING_PORT", "EVENTS_PORT", "NOTIFICATIONS_PORT")
    }
    env = {
        **os.environ,
        **ports,
        "AMQP_URL": amqp_url,
        "VAR_DIR": str(tmp_path / "var"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.port),
        "WEB_CONCURRENCY": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    gateway = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
    try:
        wait_until(lambda: _ready(gateway, process), timeout=60, interval=0.2)
        yield System(gateway, tmp_path / "mail", process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            _kill_leftovers(process.pid)
            log.close()
            sink.stop()
            print((tmp_path / "run.log").read_text()[-5000:])


def _ready(gateway: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "scripts/run ended early; see the captured output"
    try:
        return requests.get(f"{gateway}/readyz", timeout=1).status_code == 200
    except requests.RequestException:  # not listening yet, or still booting its worker
        return False


def _kill_leftovers(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    raise AssertionError("processes were still running after Ctrl-C")


def welcome_emails_to(folder: Path, address: str) -> list[email.message.Message]:
    messages = [email.message_from_bytes(p.read_bytes()) for p in folder.glob("*.eml")]
    return [m for m in messages if m["To"] == address]


def test_a_volunteer_signs_up_and_receives_a_welcome_email(system: System) -> None:
    """POST at the gateway; matching records them; notifications emails them over SMTP."""
    address = "amina.e2e@example.org"
    answer = requests.post(
        f"{system.gateway}/api/v1/volunteers",
        timeout=5,
        json={
            "name": "Amina",
            "email": address,
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "consent": True,
        },
        headers={"Idempotency-Key": "e2e-1"},
    )
    assert answer.status_code == 202
    assert answer.headers["Location"] == answer.json()["status_url"]
    [welcome] = wait_until(lambda: welcome_emails_to(system.mail, address), timeout=30)
    assert "Welcome" in welcome["Subject"]
    status = requests.get(system.gateway + answer.json()["status_url"], timeout=5).json()
    assert status == {"id": answer.json()["id"], "status": "applied"}
    again = requests.post(
        f"{system.gateway}/api/v1/volunteers",
        timeout=5,
        json={
            "name": "Amina",
            "email": address,
            "postcode": "LS6 1AA",
            "languages": ["en", "ar"],
            "consent": True,
        },
        headers={"Idempotency-Key": "e2e-1"},
    )
    assert again.json() == answer.json()


def test_the_gateway_serves_its_openapi_document(system: System) -> None:
    """The API description a client generator or a reviewer reads."""
    document = requests.get(f"{system.gateway}/api/v1/openapi.json", timeout=5).json()
    assert "/api/v1/volunteers" in document["paths"]
    assert "post" in document["paths"]["/api/v1/volunteers"]
