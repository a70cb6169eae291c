"""`make audit`: the pinned packages (constraints.txt) against the advisories PyPI carries.

PyPI's JSON API answers each release's known vulnerabilities (from the OSV database) at
/pypi/<name>/<version>/json; where only /pypi/<name>/json is reachable (this project's
machines: pip-audit fails there), that answer carries the vulnerabilities of the newest
release alone, and for every release whether it was yanked. So each pin is judged with the
best answer available (docs/security.md, "Vulnerability scanning"):

- its own release's advisories, when the per-version answer comes;
- else, if the pin is the newest release, the project's advisories, which are its own;
- else it is reported as behind (not known to be safe), and as yanked if it was.

Exit 1 when a pin has a known vulnerability or was yanked; 0 otherwise, with the pins
that could not be fully checked listed.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYPI = "https://pypi.org/pypi"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)")


@dataclass(frozen=True)
class Finding:
    """What is known of one pin."""

    name: str
    version: str
    vulnerabilities: list[str] = field(default_factory=list)  # ids, with the fixed versions
    yanked: str | None = None  # the reason, when the release was yanked
    behind: str | None = None  # the newest release, when this pin is older and unchecked
    error: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.vulnerabilities) or self.yanked is not None


def pins(constraints: str) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for line in constraints.splitlines() if (m := PIN.match(line.strip()))]


def _listed(vulnerabilities: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v.get('id')} (fixed in {', '.join(v.get('fixed_in') or []) or 'no release yet'})"
        for v in vulnerabilities
        if not v.get("withdrawn")
    ]


def judge(
    name: str, version: str, project: dict[str, Any], release: dict[str, Any] | None
) -> Finding:
    """A pin judged from PyPI's answers: the release's own when there is one, else the
    project's (see the module's docstring)."""
    files = project.get("releases", {}).get(version) or []
    yanked = next((f.get("yanked_reason") or "yanked" for f in files if f.get("yanked")), None)
    if release is not None:
        return Finding(name, version, _listed(release.get("vulnerabilities", [])), yanked)
    newest = project.get("info", {}).get("version")
    if newest == version:
        return Finding(name, version, _listed(project.get("vulnerabilities", [])), yanked)
    return Finding(name, version, yanked=yanked, behind=newest)


def _fetch(url: str) -> dict[str, Any] | None:
    import requests

    answer = requests.get(url, timeout=30)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def check(name: str, version: str) -> Finding:
    try:
        project = _fetch(f"{PYPI}/{name}/json")
        if project is None:
            return Finding(name, version, error="not on PyPI")
        return judge(name, version, project, _fetch(f"{PYPI}/{name}/{version}/json"))
    except Exception as exc:  # one package's answer must not hide the others'
        return Finding(name, version, error=f"{type(exc).__name__}: {exc}")


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "constraints.txt")
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda pin: check(*pin), pins(path.read_text())))
    for f in found:
        if f.failed:
            print(f"VULNERABLE {f.name}=={f.version}: {'; '.join(f.vulnerabilities)}"
                  + (f" yanked: {f.yanked}" if f.yanked else ""))  # fmt: skip
    behind = [f for f in found if f.behind and not f.failed]
    for f in behind:
        print(f"unchecked  {f.name}=={f.version}: the newest is {f.behind}")
    for f in found:
        if f.error:
            print(f"error      {f.name}=={f.version}: {f.error}")
    checked = len(found) - len(behind) - sum(1 for f in found if f.error)
    failed = sum(f.failed for f in found)
    print(
        f"{len(found)} pins: {checked} checked against their advisories, {failed} with a known "
        f"vulnerability or yanked, {len(behind)} behind their newest release (not checked)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
