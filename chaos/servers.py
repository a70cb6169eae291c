"""The trials' own servers, started on loopback ports under a scratch folder and thrown away:
RabbitMQ nodes (one, or three in a cluster) and a PostgreSQL cluster. Never the machine's
shared servers, which the trials stop, kill and cut."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from sanctuary_dev.mailsink import free_port

RABBIT_BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))
START_SECONDS = 90


def _postgres_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are needed")
    return versions[-1]


class RabbitNode:
    """One RabbitMQ node of our own: its name, AMQP port, data and logs under `folder`."""

    def __init__(self, folder: Path, name: str, cookie: str) -> None:
        self.folder = folder
        self.name = f"{name}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        home = folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie_file = home / ".erlang.cookie"
        if not cookie_file.exists():
            cookie_file.write_text(cookie)
            cookie_file.chmod(0o400)
        (folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "vm_memory_high_watermark.relative = 0.2\n"
        )
        (folder / "enabled_plugins").write_text("[].\n")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_PID_FILE": str(folder / "pid"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def start(self) -> None:
        """Start the node (its data kept from an earlier start) and wait until it serves."""
        subprocess.run([str(RABBIT_BIN / "rabbitmq-server"), "-detached"], env=self.env, check=True)
        # `wait` waits for the pid file, then for the node to boot: a node just detached has
        # not yet told epmd its name, and `await_startup` would find it "not running at all".
        self.ctl(
            "wait",
            str(self.folder / "pid"),
            "--timeout",
            str(START_SECONDS),
            timeout=START_SECONDS + 10,
        )

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """rabbitmqctl against this node; its output."""
        done = subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def join(self, other: RabbitNode) -> None:
        """Make this (fresh) node a member of `other`'s cluster."""
        self.ctl("stop_app")
        self.ctl("join_cluster", other.name)
        self.ctl("start_app")

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM, as a crash or a lost machine would end it."""
        pid = int((self.folder / "pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", self.name, "stop"],
            env=self.env,
            capture_output=True,
            timeout=60,
        )

    def depths(self, vhost: str) -> dict[str, int]:
        """Messages waiting in each queue of `vhost`."""
        out = self.ctl("list_queues", "-p", vhost, "--no-table-headers", "name", "messages")
        found = {}
        for line in out.splitlines():
            name, _, count = line.rpartition("\t")
            if name and count.isdigit():
                found[name] = int(count)
        return found


def rabbit_nodes(folder: Path, how_many: int) -> list[RabbitNode]:
    """`how_many` started nodes sharing one Erlang cookie, the later ones joined to the first."""
    cookie = secrets.token_hex(16)
    nodes = [
        RabbitNode(folder / f"rabbit{n}", f"chaos{n}-{os.getpid()}", cookie)
        for n in range(1, how_many + 1)
    ]
    for node in nodes:
        node.start()
    for node in nodes[1:]:
        node.join(nodes[0])
    return nodes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class PostgresCluster:
    """A PostgreSQL cluster of our own on a loopback port, trust authentication. Run as the
    `postgres` user when we are root (the server refuses root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.bin = _postgres_bin()
        self.as_owner: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.as_owner = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin / program), *args],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, every connection cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_owner,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            capture_output=True,
            cwd=self.folder,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
