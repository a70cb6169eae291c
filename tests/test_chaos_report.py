"""`make chaos` keeps one row a trial in docs/reliability.md: a trial run again rewrites its
own row and leaves the others; and the trial mail server's measure of a pause in the flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos import report
from chaos.mail import TrialMail
from chaos.runner import Outcome


def outcome(trial: str, lost: int = 0) -> Outcome:
    return Outcome(
        trial=trial,
        sent=10,
        accepted=9,
        refused={"503": 1},
        lost=lost,
        duplicated=0,
        recovered_seconds=1.5,
        restarts=0,
        places="9 of 100 places, 0 waiting",
        deepest_queue=3,
        figures={"first 202 after its return (s)": 0.2},
    )


def test_a_trial_run_again_rewrites_its_row_and_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "reliability.md"
    page.write_text("# Reliability\n\nThe short versions.\n")
    monkeypatch.setattr(report, "REPORT", page)
    report.write_section([outcome("database"), outcome("kills")], 20, 150, 1)
    report.write_section([outcome("database", lost=4)], 20, 150, 0.1)
    text = page.read_text()
    assert text.startswith("# Reliability\n\nThe short versions.\n\n## `make chaos`\n")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["kills", "database"]
    kills, database = rows[1], rows[2]
    assert "20/s, lengths x1 |" in kills
    assert "20/s, lengths x0.1 | 10 | 9 | 1 x 503 | 4 | 0 |" in database


def test_the_longest_pause_counts_from_the_window_edges() -> None:
    mail = TrialMail()
    mail.arrived["a@example.org"] = [10.0, 11.0]
    mail.arrived["b@example.org"] = [14.0]
    assert mail.longest_gap(9.5, 15.0) == 3.0  # 11 to 14
    assert mail.longest_gap(14.5, 20.0) == 5.5  # nothing arrived inside
    assert mail.first_arrival_after(10.5) == 11.0
