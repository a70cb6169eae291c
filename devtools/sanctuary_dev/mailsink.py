"""A local SMTP sink for `make run` and the tests: every message it receives becomes a .eml file.

So the email path is always real SMTP, even on a laptop with no mail server.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sanctuary.signals import on_stop_signals


class SaveToFolder:
    """aiosmtpd handler that writes each accepted message to `folder` as <time>-<uuid>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / (name + ".part")).write_bytes(content)
        # Rename last, so a reader never sees a half-written file.
        (self.folder / (name + ".part")).rename(self.folder / name)
        return "250 Message accepted for delivery"


class Answering(SaveToFolder):
    """A sink that can be told how to answer, like a real server having a bad day: each
    message takes the next of `answers` ("451 4.3.0 Try again later", "421 …", "550 …"), and
    is saved (accepted) only once they run out. `hold` seconds pass between saving a message
    and the 250, so a test can stop a client inside that window."""

    def __init__(self, folder: Path, answers: list[str] | None = None, hold: float = 0.0) -> None:
        super().__init__(folder)
        self.answers = list(answers or [])
        self.hold = hold
        self.accepted = 0
        self.peers: set[object] = set()  # the client end of each connection a message came on

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.answers:
            return self.answers.pop(0)
        reply = await super().handle_DATA(server, session, envelope)
        self.accepted += 1
        self.peers.add(session.peer)
        if self.hold:
            await asyncio.sleep(self.hold)
        return reply


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody uses right now, for a server a test starts (aiosmtpd cannot bind
    port 0 itself).

    Chosen below the kernel's ephemeral range: a port from that range (what binding port 0
    gives) can be taken, before the server binds it, as the local end of any outgoing
    connection, and a whole running system makes many.
    """
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12_000), low)
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port below the ephemeral range")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def start(folder: Path, host: str = "127.0.0.1", port: int = 0, handler: Any = None) -> Controller:
    """Start the sink (or `handler`) in a background thread on `port`, or on a free one if 0."""
    controller = Controller(
        handler or SaveToFolder(folder), hostname=host, port=port or free_port(host)
    )
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    """Run the sink in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default="var/mail", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=1025, type=int)
    args = parser.parse_args(argv)
    controller = start(args.dir, args.host, args.port)
    print(f"SMTP sink on {args.host}:{args.port}, saving mail to {args.dir}/", flush=True)
    stop = threading.Event()
    on_stop_signals(stop.set)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
