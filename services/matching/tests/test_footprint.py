"""Only a process that solves a run loads the solver's stack (issue 17, footprint): numpy and
OR-Tools cost each matching process about 30 MiB."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "ortools")


def imported_after(code: str) -> set[str]:
    """The heavy top-level packages a fresh interpreter holds after running `code`."""
    check = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    ).stdout.split()
    return set(out) & set(HEAVY)


def test_the_worker_relay_clock_and_web_of_matching_never_import_the_solver() -> None:
    code = (
        "from matching.bootstrap import bootstrap\n"
        "from matching.entrypoints import clock, web\n"
        "from matching.service_layer import coordination, handlers"
    )
    assert imported_after(code) == set()


def test_a_run_does_import_it() -> None:
    """The check can fail: running the matcher loads what it needs."""
    code = (
        "from matching.domain.groups import run_by_group\n"
        "from matching.domain.profiles import Population\n"
        "run_by_group(Population(volunteers=(), newcomers=()))"
    )
    assert imported_after(code) == set(HEAVY)
