"""deploy/prometheus: alert rules an operator can act on, about metrics that exist, and scrape
configs that reach every process type.

Always checked in Python: the files parse, every alert has what a person paged at 2 a.m.
needs (severity, summary, description, a runbook section that exists in the README), every
metric an alert reads is one our processes export or one listed in external-metrics.txt, and
every process of the Procfile and of deploy/k8s is scraped on the right port. Where promtool
is installed (Debian's `prometheus` package), it also checks the files and runs the rules'
unit tests (alerts.test.yml).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from ruamel.yaml import YAML
from sanctuary import metrics

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "deploy" / "prometheus"
ALERTS = HERE / "alerts.yml"
K8S = ROOT / "deploy" / "k8s"
_yaml = YAML(typ="safe", pure=True)
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}


def load(path: Path) -> Any:
    return _yaml.load(path.read_text())


@cache
def rules() -> list[dict[str, Any]]:
    return [rule for group in load(ALERTS)["groups"] for rule in group["rules"]]


def alert_names() -> list[str]:
    return [rule["alert"] for rule in rules()]


def rule(name: str) -> dict[str, Any]:
    [found] = [r for r in rules() if r["alert"] == name]
    return found


def exported() -> set[str]:
    """Every sample name our processes export (counters gain _total, histograms _bucket...)."""
    assert metrics.WAITING  # the module registered its metrics on import
    return {
        f"{family.name}{suffix}"
        for family in REGISTRY.collect()
        if family.name.startswith("sanctuary_")
        for suffix in ("", "_total", "_bucket", "_count", "_sum", "_created")
    }


def external() -> set[str]:
    """The names listed in external-metrics.txt, with where they come from."""
    lines = (HERE / "external-metrics.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not its functions, labels or keywords)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges
    found = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        if expr[match.end() :].lstrip().startswith("("):
            continue  # a function: rate(...), histogram_quantile(...)
        if match.group(0) not in PROMQL_WORDS:
            found.add(match.group(0))
    return found


def readme_anchors() -> set[str]:
    """The anchors GitHub makes of the README's headings."""
    anchors = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_the_name_check_reads_names_and_skips_functions_labels_and_keywords() -> None:
    """The check below is only as good as this reader."""
    expr = (
        'sum by (service) (rate(sanctuary_http_requests_total{status=~"5.."}[5m])) / '
        "sum by (service) (rate(sanctuary_http_requests_total[5m])) > 0.02 "
        "unless on (app) up == 0 and deriv(x_y[5m]) > 1e3"
    )
    assert metric_names(expr) == {"sanctuary_http_requests_total", "up", "x_y"}


def test_the_rules_file_has_alerts_with_unique_names() -> None:
    """Sixteen alerts, each name once."""
    assert len(alert_names()) >= 10
    assert len(set(alert_names())) == len(alert_names())


@pytest.mark.parametrize("name", alert_names())
def test_every_alert_says_how_bad_what_and_where_to_read_what_to_do(name: str) -> None:
    """expr, for, a severity a pager understands, a summary, a description, a runbook."""
    alert = rule(name)
    assert alert["expr"].strip()
    assert re.fullmatch(r"\d+[smh]", alert["for"])
    assert alert["labels"]["severity"] in {"critical", "warning"}
    assert alert["annotations"]["summary"].strip()
    assert alert["annotations"]["description"].strip()
    assert alert["annotations"]["runbook_url"] == f"README.md#{name.lower()}"


@pytest.mark.parametrize("name", alert_names())
def test_every_runbook_is_a_section_of_the_readme(name: str) -> None:
    """An alert's link leads to what it means and what to do."""
    anchor = rule(name)["annotations"]["runbook_url"].split("#", 1)[1]
    assert anchor in readme_anchors(), f"README.md has no heading for #{anchor}"


@pytest.mark.parametrize("name", alert_names())
def test_every_metric_an_alert_reads_exists(name: str) -> None:
    """A renamed metric would silence an alert for good: caught here instead."""
    asked = metric_names(rule(name)["expr"])
    assert asked
    unknown = asked - exported() - external()
    assert not unknown, f"{name} reads {sorted(unknown)}: neither exported nor listed"


def test_the_listed_external_metrics_are_used_and_ours_are_not_listed() -> None:
    """external-metrics.txt lists exactly what the alerts need from elsewhere."""
    used = set().union(*(metric_names(r["expr"]) for r in rules()))
    assert external() <= used, external() - used
    assert not external() & exported()


def procfile_processes() -> list[str]:
    """Every process type the Procfile runs (the local mail sink aside)."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    names = [line.split(":", 1)[0] for line in lines if re.match(r"[a-z-]+:", line)]
    return [name for name in names if name != "mailsink"]


def scraped_by_dns(config: dict[str, Any]) -> dict[str, tuple[str, int, str]]:
    """Container name -> (job, port, metrics path), from the dns_sd_configs of each job."""
    found = {}
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            for name in sd["names"]:
                found[name] = (job["job_name"], sd["port"], job.get("metrics_path", "/metrics"))
    return found


def test_the_compose_prometheus_scrapes_every_process_type_on_its_port() -> None:
    """Every process on METRICS_PORT (9100): web processes too, never on their port 8000."""
    compose = load(ROOT / "docker-compose.yml")
    metrics_port = int(compose["x-common-env"]["METRICS_PORT"])
    scraped = scraped_by_dns(load(HERE / "prometheus.yml"))
    assert sorted(scraped) == sorted(procfile_processes())
    for name, (_, port, path) in scraped.items():
        assert port == metrics_port, name
        assert path == "/metrics"


def test_the_compose_prometheus_evaluates_the_alerts_and_reads_rabbitmq() -> None:
    """alerts.yml is loaded; RabbitMQ's per-queue figures come from /metrics/detailed."""
    config = load(HERE / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/detailed"
    assert set(jobs["rabbitmq-queues"]["params"]["family"]) == {
        "queue_coarse_metrics",
        "queue_consumer_count",
    }
    service = load(ROOT / "docker-compose.yml")["services"]["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in service["volumes"]


def deployments() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        for doc in _yaml.load_all(path.read_text())
        if doc and doc.get("kind") == "Deployment"
    ]


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["metadata"]["name"])
def test_every_pod_asks_to_be_scraped_on_its_metrics_port(deployment: dict[str, Any]) -> None:
    """prometheus.io/scrape, port and path on each pod template, on the metrics port (for
    web pods too: their port 8000 serves no metrics); web pods declare their port."""
    configmap = load(K8S / "configmap.yaml")
    template = deployment["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    web = deployment["metadata"]["name"].endswith("-web")
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == configmap["data"]["METRICS_PORT"]
    assert configmap["data"]["METRICS_BIND_HOST"] == "0.0.0.0"  # noqa: S104 (the pod network)
    assert annotations["prometheus.io/path"] == "/metrics"
    if web:
        [container] = template["spec"]["containers"]
        assert {"name": "http", "containerPort": 8000} in container["ports"]


def test_the_kubernetes_job_keeps_annotated_pods_and_labels_them_app_and_process() -> None:
    """The alerts group by `app` and `process`: the pod's own labels give them."""
    config = load(HERE / "prometheus-kubernetes.yml")
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "sanctuary-pods"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["sanctuary"]}}]
    targets = {
        r["target_label"]: r["source_labels"] for r in job["relabel_configs"] if "target_label" in r
    }
    assert targets["app"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    assert targets["process"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
    assert config["rule_files"] == ["alerts.yml"]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    return subprocess.run(
        ["promtool", *args], cwd=HERE, capture_output=True, text=True, timeout=60, check=False
    )


def test_promtool_accepts_the_rules() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_compose_configuration() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_kubernetes_configuration() -> None:
    result = promtool("check", "config", "prometheus-kubernetes.yml")
    if "kubernetes_sd_configs not found" in result.stdout + result.stderr:
        pytest.skip("this promtool is built without Kubernetes discovery (Debian's is)")
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_in_its_situation_and_not_in_the_healthy_one_beside_it() -> None:
    """promtool's rule unit tests, alerts.test.yml."""
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_unit_tests_cover_the_alerts_that_page() -> None:
    """Every critical alert has a case in alerts.test.yml (promtool runs them above)."""
    tested = {
        case["alertname"]
        for test in load(HERE / "alerts.test.yml")["tests"]
        for case in test.get("alert_rule_test", [])
    }
    critical = {r["alert"] for r in rules() if r["labels"]["severity"] == "critical"}
    assert critical <= tested, critical - tested
