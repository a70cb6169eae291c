"""The sustained trial: no fault, a high steady rate (CHAOS_STEADY_RATE, 150 requests a
second) for 5 minutes, and the CPU it cost: every process of the system, PostgreSQL and
RabbitMQ, per accepted request, set against the CPU of the raw steps one sign-up needs (a
bare Flask POST, two broker round trips, one SMTP send), measured in the same run."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

import requests
from sanctuary_dev import mailsink

from bench.baselines import bare_flask, broker_round_trips, smtp_sends
from bench.machine import TICK, busy_since, machine_busy
from chaos.runner import Window
from chaos.servers import RabbitNode

RATE = float(os.environ.get("CHAOS_STEADY_RATE", "150"))
RAW_TIMES = 2000  # operations of each raw step
ROOT = Path(__file__).resolve().parents[1]


def _stat(pid: str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # ended meanwhile
        return None


def cpu_of(keep: Callable[[int, list[str]], bool]) -> float:
    """CPU seconds so far of every living process `keep(pid, stat fields)` chooses."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)) and keep(int(entry.name), fields):
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def in_groups(groups: set[int]) -> Callable[[int, list[str]], bool]:
    """Processes of these process groups (each supervised process leads its own)."""
    return lambda _pid, fields: int(fields[2]) in groups


def server_of(pid: int) -> Callable[[int, list[str]], bool]:
    """A server process and its children (PostgreSQL's backends, RabbitMQ's helpers)."""
    return lambda own, fields: own == pid or int(fields[1]) == pid


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """CPU seconds by part, read at the start and at the end of a stretch."""

    def __init__(self, parts: dict[str, Callable[[], float]]) -> None:
        self.parts = parts
        self.start = {name: read() for name, read in parts.items()}
        self.busy = machine_busy()

    def spent(self) -> dict[str, float]:
        return {name: read() - self.start[name] for name, read in self.parts.items()}


def raw_steps(node: RabbitNode, scratch: Path) -> dict[str, float]:
    """CPU milliseconds of each raw step, all processes it takes (client and server)."""
    rabbit = server_of(int((node.folder / "pid").read_text()))
    figures = {}
    with bare_flask(ROOT) as url:
        master = server_of(_gunicorn_serving(int(url.split(":")[2].split("/")[0])))
        meter = Meter({"client": own_cpu, "server": lambda: cpu_of(master)})
        for _ in range(RAW_TIMES):
            requests.post(url, json={"name": "Amal"}, timeout=5)
        figures["bare Flask POST"] = sum(meter.spent().values()) / RAW_TIMES * 1000
    meter = Meter({"client": own_cpu, "broker": lambda: cpu_of(rabbit)})
    broker_round_trips(node.url, RAW_TIMES)
    figures["broker round trip"] = sum(meter.spent().values()) / RAW_TIMES * 1000
    controller = mailsink.start(scratch / "raw-mail")
    try:
        meter = Meter({"client and sink": own_cpu})
        smtp_sends(controller.port, RAW_TIMES)
        figures["SMTP send"] = sum(meter.spent().values()) / RAW_TIMES * 1000
    finally:
        controller.stop()
    figures["a sign-up's raw steps (POST, 2 round trips, 1 send)"] = (
        figures["bare Flask POST"] + 2 * figures["broker round trip"] + figures["SMTP send"]
    )
    return figures


def _gunicorn_serving(port: int) -> int:
    """The pid of our child gunicorn master bound to `port`."""
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is None or int(fields[1]) != os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"127.0.0.1:{port}".encode() in command:
            return int(entry.name)
    raise RuntimeError(f"no gunicorn of ours on port {port}")


def steady(window: Window, seconds: float) -> float:
    """No fault: the load for `seconds`, with the CPU of every part measured."""
    system = window.system
    rabbit = int((window.nodes[0].folder / "pid").read_text())
    postmaster = int((window.postgres.data / "postmaster.pid").read_text().split()[0])
    groups = {p.pid for p in system.running.values()}
    meter = Meter(
        {
            "the system's processes": lambda: cpu_of(in_groups(groups)),
            "PostgreSQL": lambda: cpu_of(server_of(postmaster)),
            "RabbitMQ": lambda: cpu_of(server_of(rabbit)),
            "load and SMTP server (the trial's own process)": own_cpu,
        }
    )
    began = time.time()
    window.at(seconds)
    spent = meter.spent()
    accepted = len(window.load.accepted())
    window.figures["accepted a second"] = round(accepted / (time.time() - began), 1)
    window.figures["machine busy"] = f"{busy_since(meter.busy):.0%}"
    for part, cpu in spent.items():
        window.figures[f"CPU ms per accepted request, {part}"] = round(cpu / accepted * 1000, 2)
    return time.time()
