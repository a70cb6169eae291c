"""docs/performance.md has one section a benchmark; each benchmark rewrites its own only."""

from __future__ import annotations

from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def write_section(section: str, report: Path = REPORT) -> None:
    """Replace the `## <title>` section that `section` starts with (or append it), keeping
    every other section as it is."""
    title = section.split("\n", 1)[0]
    assert title.startswith("## "), "a section starts with its '## ' heading"
    text = report.read_text() if report.exists() else "# Performance\n"
    head, found, rest = text.partition(title + "\n")
    if found:
        after = rest.partition("\n## ")
        tail = "\n## " + after[2] if after[1] else ""
        text = head + section.rstrip() + "\n" + tail
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    report.write_text(text)
