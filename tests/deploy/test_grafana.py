"""The Grafana dashboard shipped in deploy/grafana: valid, and about metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY
from sanctuary import metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sanctuary-dashboard.json"


def exported_names() -> set[str]:
    """Every sample name our metrics export (counters gain _total, histograms _bucket...)."""
    assert metrics.HTTP_REQUESTS  # the module registered its metrics on import
    return {
        sample.name
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name.startswith("sanctuary_")
    } | {
        f"{family.name}{suffix}"
        for family in REGISTRY.collect()
        if family.name.startswith("sanctuary_")
        for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }


def test_the_dashboard_is_valid_json_with_a_query_per_panel() -> None:
    """Each panel has a title and a Prometheus query."""
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["title"]
        assert panel["targets"][0]["expr"]


def test_every_metric_the_dashboard_asks_for_is_one_the_services_export() -> None:
    """A renamed metric would leave a panel empty: caught here instead."""
    dashboard = json.loads(DASHBOARD.read_text())
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"sanctuary_[a-z_]+", target["expr"])
    }
    assert asked
    assert asked <= exported_names(), asked - exported_names()


def test_the_dashboard_watches_outbox_lag_and_parked_messages() -> None:
    """The two signals an operator at 2 a.m. needs first."""
    text = DASHBOARD.read_text()
    assert "sanctuary_outbox_oldest_unsent_seconds" in text
    assert 'outcome=\\"parked\\"' in text
