"""Each benchmark rewrites its own section of docs/performance.md and keeps the others."""

from __future__ import annotations

from pathlib import Path

from bench.report import write_section


def test_a_section_is_replaced_in_place_and_the_others_kept(tmp_path: Path) -> None:
    report = tmp_path / "performance.md"
    report.write_text("# Performance\n\n## Matching\n\nold m\n\n## Events\n\nold e\n")
    write_section("## Matching\n\nnew m\n", report)
    write_section("## Notifications\n\nn\n### detail\n\nd\n", report)
    write_section("## Events\n\nnew e\n", report)
    assert report.read_text() == (
        "# Performance\n\n## Matching\n\nnew m\n\n## Events\n\nnew e\n\n"
        "## Notifications\n\nn\n### detail\n\nd\n"
    )


def test_the_report_is_made_when_missing(tmp_path: Path) -> None:
    report = tmp_path / "performance.md"
    write_section("## Events\n\ne\n", report)
    assert report.read_text() == "# Performance\n\n## Events\n\ne\n"
