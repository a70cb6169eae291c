"""`make run`'s Procfile runner (sanctuary_dev.procfile): every line prefixed with its process,
one stop for all, and a process that ends stops the rest with its exit code."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path


def start(tmp_path: Path, procfile: str, *names: str) -> subprocess.Popen[str]:
    (tmp_path / "Procfile").write_text(procfile)
    return subprocess.Popen(
        [sys.executable, "-m", "sanctuary_dev.procfile", str(tmp_path / "Procfile"), *names],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_every_line_is_prefixed_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    runner = start(
        tmp_path,
        "# a comment\n"
        "web: echo 'hello from web'; exec sleep 60\n"
        'worker: echo \'{"msg": "a json line"}\'; exec sleep 60\n'
        "other: exec sleep 60\n",
        "web",
        "worker",
    )
    time.sleep(1.5)
    runner.send_signal(signal.SIGINT)
    out, _ = runner.communicate(timeout=20)
    assert runner.returncode == 0
    assert re.search(r"^\d\d:\d\d:\d\d web\.1\s+\| hello from web$", out, re.M)
    # The form the no-PII test reads: "<time> <name>.<n> | {"
    assert re.findall(r"^\S+ ([a-z-]+)\.\d+\s*\| \{", out, re.M) == ["worker"]
    assert "other" not in out
    assert "sending SIGTERM to all processes" in out


def test_a_process_that_ends_stops_the_others_with_its_exit_code(tmp_path: Path) -> None:
    runner = start(tmp_path, "short: sleep 0.5; exit 3\nlong: exec sleep 60\n")
    out, _ = runner.communicate(timeout=20)
    assert runner.returncode == 3
    assert "short.1 stopped (rc=3)" in out


def test_together_folds_each_services_loops_into_one_background_process() -> None:
    """`make run`'s form: the web lines as they are, each service's worker, relay, clock and
    mailer one `python -m <service> background` where the first of them stood."""
    from sanctuary_dev.procfile import entries, together

    folded = together(entries(Path(__file__).resolve().parents[1] / "Procfile"))
    assert list(folded) == [
        "mailsink",
        "gateway-web",
        "gateway-background",
        "matching-web",
        "matching-background",
        "events-web",
        "events-background",
        "notifications-web",
        "notifications-background",
    ]
    assert folded["events-background"] == "exec python -m events background"
    assert folded["gateway-web"].startswith("exec gunicorn")
