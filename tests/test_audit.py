"""`make audit` judges each pin with the best answer PyPI gives (sanctuary_dev.audit)."""

from __future__ import annotations

from typing import Any

from sanctuary_dev.audit import judge, pins

ADVISORY = {"id": "PYSEC-2026-1", "fixed_in": ["2.1"], "withdrawn": None}


def project(newest: str, vulnerabilities: list[dict[str, Any]], **releases: Any) -> Any:
    return {
        "info": {"version": newest},
        "vulnerabilities": vulnerabilities,
        "releases": {"2.0": [{"yanked": False}], newest: [{"yanked": False}], **releases},
    }


def test_pins_are_read_from_the_constraints_file() -> None:
    text = "# pinned\nFlask==3.1.3\nzope.event==6.2  # why\n\nnot-a-pin>=1\n"
    assert pins(text) == [("Flask", "3.1.3"), ("zope.event", "6.2")]


def test_a_release_with_its_own_answer_is_judged_by_it() -> None:
    found = judge("x", "2.0", project("2.1", []), {"vulnerabilities": [ADVISORY]})
    assert found.failed
    assert found.vulnerabilities == ["PYSEC-2026-1 (fixed in 2.1)"]


def test_the_newest_release_is_judged_by_the_projects_answer() -> None:
    assert judge("x", "2.1", project("2.1", [ADVISORY]), None).failed
    withdrawn = {**ADVISORY, "withdrawn": "2026-01-01"}
    assert not judge("x", "2.1", project("2.1", [withdrawn]), None).failed


def test_an_older_pin_without_its_own_answer_is_unchecked_not_safe() -> None:
    """The project's advisories are the newest release's: they say nothing of 2.0."""
    found = judge("x", "2.0", project("2.1", [ADVISORY]), None)
    assert (found.failed, found.behind) == (False, "2.1")


def test_a_yanked_pin_fails_with_the_reason() -> None:
    yanked = project("2.1", [], **{"2.0": [{"yanked": True, "yanked_reason": "CVE-2026-9"}]})
    found = judge("x", "2.0", yanked, None)
    assert (found.failed, found.yanked) == (True, "CVE-2026-9")
