"""`python -m <service> --help` lists every command of that service, with no setting made."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from gateway.entrypoints import admin

# Each service's commands beyond the ones every service has.
OWN = {
    "gateway": admin.COMMANDS,  # the coordinator account and group commands
    "matching": ("clock",),
    "events": ("clock",),
    "notifications": ("mailer",),
}
SHARED = ("migrate", "worker", "relay", "background", "status", "probe", "parked", "erasures")


@pytest.mark.parametrize("service", sorted(OWN))
def test_help_lists_every_command_without_any_setting(service: str) -> None:
    """A newcomer's first question, asked before INTERNAL_TOKEN and the rest exist."""
    done = subprocess.run(
        [sys.executable, "-m", service, "--help"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {service} ")
    listed = {line.split()[0] for line in done.stdout.splitlines() if re.match(r" {4}\S", line)}
    assert listed == {*SHARED, *OWN[service]}


def test_a_command_of_another_service_is_refused_with_the_list() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "events", "mailer"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'mailer'" in done.stderr
    assert "'clock'" in done.stderr
