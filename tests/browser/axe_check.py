"""The accessibility check every browser test can run on the page it has open: axe-core's
rules of WCAG 2.2 AA, as axe-playwright-python bundles it, failing on serious and critical
violations (issue 15)."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

SERIOUS = {"serious", "critical"}
WCAG = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")  # the rules of WCAG 2.2 AA


def violations(page: Any) -> list[str]:
    """Each serious or critical violation on the page: the rule, and where. Checked once the
    page has loaded: before its stylesheet, links have no padding and fail target-size."""
    page.wait_for_load_state("load")
    found = Axe().run(page, options={"runOnly": list(WCAG)})
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found.response["violations"]
        if v["impact"] in SERIOUS
    ]
