"""deploy/k8s is the Kustomize base that runs the whole system on Kubernetes.

Checked without a cluster. Each built-in resource is validated against the Kubernetes
schemas that kubernetes-validate ships, which needs no network. The KEDA resources have no
schema there, so plain assertions check them. Then come the checks that no schema can make:
the base runs every process of docker-compose.yml with the same command, each container gets
only the secrets it needs, and the Services, budgets and autoscalers point at Deployments
that exist. "Rendering" the base means loading each file the kustomization lists; where
kubectl is installed, `kubectl kustomize` must build the same resources.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
README = ROOT / "README.md"

# The oldest Kubernetes version the base supports, and the newest that the validator ships.
K8S_VERSIONS = ("1.33", "1.37")
NAMESPACE = "sanctuary"
CONFIG_MAP = "sanctuary-config"
SECRET = "sanctuary-secrets"
SECRET_KEYS = frozenset(
    {
        "AMQP_URL",
        "GATEWAY_DATABASE_URL",
        "MATCHING_DATABASE_URL",
        "EVENTS_DATABASE_URL",
        "NOTIFICATIONS_DATABASE_URL",
        "INTERNAL_TOKEN",
        "ADMIN_TOKEN",
        "LINK_SECRET",
        "SMTP_HOST",
        "SMTP_PORT",
    }
)
# Only KEDA reads this key of the Secret, never a container.
KEDA_SECRET_KEY = "RABBITMQ_MANAGEMENT_URL"
SERVICES = ("gateway", "matching", "events", "notifications")
WORKERS = ("matching", "events", "notifications")

# What each process needs beyond AMQP_URL and its own database URL, which all need (the
# probe asks both). A missing key would not fail loudly: the code falls back to a
# development default. So the sets must match exactly.
EXTRA_SECRETS: dict[str, set[str]] = {
    "gateway-web": {"INTERNAL_TOKEN", "ADMIN_TOKEN", "LINK_SECRET"},
    "matching-web": {"INTERNAL_TOKEN", "LINK_SECRET"},
    # Workers hash addresses to recognise an erased person (sanctuary.erasure).
    "matching-worker": {"LINK_SECRET"},
    "events-worker": {"LINK_SECRET"},
    "notifications-worker": {"LINK_SECRET"},
    "events-web": {"INTERNAL_TOKEN", "LINK_SECRET"},
    "notifications-web": {"INTERNAL_TOKEN", "LINK_SECRET"},
    "notifications-mailer": {"LINK_SECRET", "SMTP_HOST", "SMTP_PORT"},
}

_yaml = YAML(typ="safe", pure=True)


def owner(name: str) -> str:
    """The service a process belongs to: `matching-worker` -> `matching`."""
    return name.rsplit("-", 1)[0]


@cache
def kustomization() -> dict[str, Any]:
    data: dict[str, Any] = _yaml.load(KUSTOMIZATION.read_text())
    return data


def load_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty YAML document in a file."""
    return [doc for doc in _yaml.load_all(path.read_text()) if doc]


@cache
def rendered() -> tuple[dict[str, Any], ...]:
    """The base as kustomize sees it before its transformers: each listed file's resources."""
    docs: list[dict[str, Any]] = []
    for entry in kustomization().get("resources", []):
        docs.extend(load_documents(K8S / entry))
    return tuple(docs)


def ident(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in rendered() if doc.get("kind") == kind}


def deployment(name: str) -> dict[str, Any]:
    deployments = of_kind("Deployment")
    assert name in deployments, f"deploy/k8s has no Deployment {name!r}"
    return deployments[name]


def pod_spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = deployment(name)["spec"]["template"]["spec"]
    return spec


def main_container(name: str) -> dict[str, Any]:
    containers = pod_spec(name)["containers"]
    assert len(containers) == 1, f"{name} should run one container, not {len(containers)}"
    container: dict[str, Any] = containers[0]
    return container


def all_containers(name: str) -> list[dict[str, Any]]:
    spec = pod_spec(name)
    return [*spec.get("initContainers", []), *spec["containers"]]


def secret_refs(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each variable taken from a Secret: name -> (secret, key)."""
    refs = {}
    for var in container.get("env", []):
        ref = (var.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            refs[var["name"]] = (ref.get("name"), ref.get("key"))
    return refs


def is_built_in(doc: dict[str, Any]) -> bool:
    """Core and *.k8s.io groups are Kubernetes' own; anything else (keda.sh) is a CRD."""
    api_version = str(doc.get("apiVersion", ""))
    group = api_version.split("/")[0] if "/" in api_version else ""
    return "." not in group or group.endswith(".k8s.io")


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def selected_deployments(selector: dict[str, str]) -> list[str]:
    """The Deployments whose pods a label selector picks."""
    return sorted(
        name
        for name, doc in of_kind("Deployment").items()
        if selects(selector, doc["spec"]["template"]["metadata"].get("labels", {}))
    )


@cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = _yaml.load(COMPOSE.read_text())
    return data


@cache
def compose_processes() -> dict[str, list[str]]:
    """The long-running app containers of docker-compose.yml and their commands."""
    return {
        name: spec["command"]
        for name, spec in compose()["services"].items()
        if "build" in spec and not name.endswith("-migrate")
    }


_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?")
_UNITS = {None: 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9}
_UNITS |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value: object) -> Fraction:
    """A Kubernetes quantity (`250m`, `"1"`, `512Mi`) as a number."""
    match = _QUANTITY.fullmatch(str(value))
    assert match, f"{value!r} is not a quantity this test reads"
    return Fraction(match[1]) * _UNITS[match[2]]


DEPLOYMENTS = sorted(compose_processes())
WEB = [f"{svc}-web" for svc in SERVICES]


def test_the_kustomization_lists_every_manifest_file_and_no_missing_one() -> None:
    """Each YAML file beside kustomization.yaml is a listed resource, and each listed one exists."""
    listed = kustomization().get("resources", [])
    assert len(listed) == len(set(listed)), "a file is listed twice"
    on_disk = {p.name for p in K8S.glob("*.y*ml") if p != KUSTOMIZATION}
    assert on_disk, "deploy/k8s holds no manifest"
    assert set(listed) == on_disk
    for entry in listed:
        assert load_documents(K8S / entry), f"{entry} holds no resource"


def test_every_listed_document_is_a_named_resource_and_none_is_repeated() -> None:
    """Each document has apiVersion, kind and a name; no kind and name pair appears twice."""
    idents = []
    for doc in rendered():
        assert doc.get("apiVersion"), f"{ident(doc)} has no apiVersion"
        assert doc.get("kind"), f"a document of {doc.get('apiVersion')} has no kind"
        assert (doc.get("metadata") or {}).get("name"), f"a {doc.get('kind')} has no name"
        idents.append(ident(doc))
    assert len(idents) == len(set(idents)), sorted(i for i in idents if idents.count(i) > 1)


def test_the_base_holds_no_secret_only_references_to_one() -> None:
    """No Secret object: the operator creates sanctuary-secrets, the base only refers to it."""
    assert not of_kind("Secret")


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("doc", [d for d in rendered() if is_built_in(d)], ids=ident)
def test_every_built_in_resource_matches_the_kubernetes_schema(
    doc: dict[str, Any], version: str
) -> None:
    """kubernetes-validate (strict: no unknown field) accepts the resource for that version."""
    problem = None
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(part) for part in exc.path)
        problem = f"{ident(doc)} at {path}: {exc.message}"
    except kubernetes_validate.SchemaNotFoundError as exc:
        problem = exc.message
    # Outside the except: the report shows the one line, not the validator's traceback.
    assert problem is None, problem


def test_the_validator_rejects_a_broken_deployment() -> None:
    """A misspelt field and a replica count given as a word both fail validation."""
    good = deployment("matching-clock")
    kubernetes_validate.validate(good, K8S_VERSIONS[0], strict=True)
    misspelt = copy.deepcopy(good)
    misspelt["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, K8S_VERSIONS[0], strict=True)
    wrong_type = copy.deepcopy(good)
    wrong_type["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, K8S_VERSIONS[0], strict=True)


def test_everything_lands_in_the_sanctuary_namespace() -> None:
    """The kustomization sets the namespace, the base creates it, and no file names another."""
    assert kustomization().get("namespace") == NAMESPACE
    assert list(of_kind("Namespace")) == [NAMESPACE]
    for doc in rendered():
        assert doc["metadata"].get("namespace", NAMESPACE) == NAMESPACE, ident(doc)


def test_compose_runs_the_process_types_this_test_expects() -> None:
    """docker-compose.yml's process list is the four services' fifteen processes."""
    assert len(DEPLOYMENTS) == 15
    assert {owner(name) for name in DEPLOYMENTS} == set(SERVICES)


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_compose_process_has_a_deployment_running_its_command(name: str) -> None:
    """A Deployment of the same name runs the container's command from docker-compose.yml."""
    assert main_container(name).get("command") == compose_processes()[name]


def test_the_base_runs_no_deployment_that_compose_does_not() -> None:
    """No Deployment beyond the process list: a new process type goes in both files."""
    assert sorted(of_kind("Deployment")) == DEPLOYMENTS


@pytest.mark.parametrize("name", WEB)
def test_every_web_deployment_migrates_first_with_the_compose_migrate_command(name: str) -> None:
    """The web pod's one initContainer runs the command of the service's compose migrate job."""
    inits = pod_spec(name).get("initContainers", [])
    assert len(inits) == 1, f"{name} should have one initContainer (migrate)"
    migrate = compose()["services"][f"{owner(name)}-migrate"]["command"]
    assert inits[0].get("command") == migrate
    for other in set(DEPLOYMENTS) - set(WEB):
        assert not pod_spec(other).get("initContainers"), f"{other} migrates too"


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_container_takes_secrets_by_key_from_sanctuary_secrets_only(name: str) -> None:
    """Each secret variable is a listed key of sanctuary-secrets, under the key's own name."""
    for container in all_containers(name):
        for source in container.get("envFrom", []):
            assert "secretRef" not in source, f"{name}: a whole Secret would give every key"
        for var, (secret, key) in secret_refs(container).items():
            assert secret == SECRET, f"{name}: {var} comes from Secret {secret!r}"
            assert key in SECRET_KEYS, f"{name}: {key!r} is not a key of {SECRET}"
            assert var == key, f"{name}: {var} is read from key {key}"


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_process_sees_exactly_the_secrets_it_needs(name: str) -> None:
    """AMQP_URL, its own service's database URL (no other), and only its own extra keys."""
    svc = owner(name)
    expected = {"AMQP_URL", f"{svc.upper()}_DATABASE_URL", *EXTRA_SECRETS.get(name, set())}
    assert set(secret_refs(main_container(name))) == expected
    for init in pod_spec(name).get("initContainers", []):
        assert set(secret_refs(init)) == {f"{svc.upper()}_DATABASE_URL"}


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_container_reads_the_config_map_of_the_base(name: str) -> None:
    """Every container reads sanctuary-config whole, and only that ConfigMap."""
    assert CONFIG_MAP in of_kind("ConfigMap")
    for container in all_containers(name):
        maps = [
            s["configMapRef"]["name"] for s in container.get("envFrom", []) if "configMapRef" in s
        ]
        assert maps == [CONFIG_MAP], f"{name}/{container['name']} reads {maps}"


def _documented_variables() -> set[str]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


def test_every_variable_the_base_sets_is_in_the_readme_configuration_table() -> None:
    """A misspelt variable would be silently ignored: each one must be a documented one."""
    documented = _documented_variables()
    assert "AMQP_URL" in documented, "README.md's Configuration table was not found"
    config = of_kind("ConfigMap")[CONFIG_MAP]["data"]
    assert set(config) <= documented
    assert documented >= SECRET_KEYS


def test_the_gateway_reaches_the_internal_apis_at_their_services() -> None:
    """The ConfigMap's *_URL values are compose's, and name Services of the base on port 8000."""
    config = of_kind("ConfigMap")[CONFIG_MAP]["data"]
    gateway_env = compose()["services"]["gateway-web"]["environment"]
    services = of_kind("Service")
    for svc in SERVICES[1:]:
        url = config.get(f"{svc.upper()}_URL")
        assert url == gateway_env[f"{svc.upper()}_URL"] == f"http://{svc}-web:8000"
        ports = [p["port"] for p in services[f"{svc}-web"]["spec"]["ports"]]
        assert 8000 in ports


def _port_number(container: dict[str, Any], port: object) -> object:
    """A probe's or Service's port, with a named port resolved to its number."""
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    return named.get(port, port)


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_deployment_has_liveness_and_readiness_probes(name: str) -> None:
    """Web: GET /healthz and /readyz on 8000. Other processes: `python -m <svc> probe`."""
    container = main_container(name)
    live, ready = container.get("livenessProbe"), container.get("readinessProbe")
    assert live, f"{name} has no livenessProbe"
    assert ready, f"{name} has no readinessProbe"
    if name in WEB:
        for probe, path in ((live, "/healthz"), (ready, "/readyz")):
            assert probe.get("httpGet", {}).get("path") == path
            assert _port_number(container, probe["httpGet"].get("port")) == 8000
    else:
        command = ["python", "-m", owner(name), "probe"]
        assert live.get("exec", {}).get("command") == command
        assert ready.get("exec", {}).get("command") == command


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_container_requests_cpu_and_memory_within_its_limits(name: str) -> None:
    """Init containers too: requests and limits for cpu and memory, requests <= limits."""
    for container in all_containers(name):
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            where = f"{name}/{container['name']} {resource}"
            assert request is not None, f"{where} has no request"
            assert limit is not None, f"{where} has no limit"
            assert 0 < quantity(request) <= quantity(limit), where


def _dockerfile_uid() -> int:
    users = re.findall(r"^\s*USER\s+(\d+)", DOCKERFILE.read_text(), re.M | re.I)
    assert users, "deploy/Dockerfile has no numeric USER"
    return int(users[-1])


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_pod_runs_as_the_dockerfile_user_and_stops_within_30_seconds(name: str) -> None:
    """runAsNonRoot with the image's uid, no privilege escalation, a 30 s grace period."""
    spec = pod_spec(name)
    assert spec.get("terminationGracePeriodSeconds") == 30
    context = spec.get("securityContext", {})
    assert context.get("runAsNonRoot") is True
    assert context.get("runAsUser") == _dockerfile_uid() == 10001
    for container in all_containers(name):
        assert container.get("securityContext", {}).get("allowPrivilegeEscalation") is False


def test_every_container_runs_the_image_that_the_kustomization_sets() -> None:
    """All containers name the image `sanctuary`, which the kustomization's images entry sets."""
    images = {image["name"]: image for image in kustomization().get("images", [])}
    assert "sanctuary" in images
    assert images["sanctuary"].get("newName")
    assert images["sanctuary"].get("newTag")
    for name in DEPLOYMENTS:
        for container in all_containers(name):
            assert container.get("image") == "sanctuary", f"{name}/{container['name']}"


def test_the_matching_clock_runs_exactly_one_replica_and_is_never_rolled() -> None:
    """replicas 1 and the Recreate strategy: never two matching clocks, not even in a rollout."""
    spec = deployment("matching-clock")["spec"]
    assert spec.get("replicas") == 1
    assert spec.get("strategy", {}).get("type") == "Recreate"
    autoscaled = {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind("HorizontalPodAutoscaler").values()
    }
    autoscaled |= {s["spec"]["scaleTargetRef"]["name"] for s in of_kind("ScaledObject").values()}
    assert "matching-clock" not in autoscaled


def test_the_events_clock_starts_with_one_replica() -> None:
    """Several events clocks are safe, but the base runs one."""
    assert deployment("events-clock")["spec"].get("replicas") == 1


def test_autoscaled_deployments_leave_the_replica_count_to_their_autoscaler() -> None:
    """A web or worker Deployment sets no replicas: a re-apply would undo the autoscaler."""
    for name in [*WEB, *(f"{svc}-worker" for svc in WORKERS)]:
        assert "replicas" not in deployment(name)["spec"], name


@pytest.mark.parametrize("name", WEB)
def test_every_web_deployment_has_a_cluster_ip_service_on_port_8000(name: str) -> None:
    """A ClusterIP Service of the same name selects that Deployment's pods alone, on 8000."""
    service = of_kind("Service").get(name)
    assert service, f"no Service {name}"
    spec = service["spec"]
    assert spec.get("type", "ClusterIP") == "ClusterIP"
    assert selected_deployments(spec["selector"]) == [name]
    (port,) = spec["ports"]
    assert port["port"] == 8000
    assert _port_number(main_container(name), port.get("targetPort", port["port"])) == 8000


@pytest.mark.parametrize("name", WEB)
def test_every_web_deployment_has_a_disruption_budget_of_one(name: str) -> None:
    """A PodDisruptionBudget keeps at least one pod of that Deployment alone through a drain."""
    budget = of_kind("PodDisruptionBudget").get(name)
    assert budget, f"no PodDisruptionBudget {name}"
    assert budget["spec"].get("minAvailable") == 1
    assert selected_deployments(budget["spec"]["selector"]["matchLabels"]) == [name]


@pytest.mark.parametrize("name", WEB)
def test_every_web_deployment_scales_on_cpu_from_2_to_10(name: str) -> None:
    """An autoscaling/v2 HPA on the Deployment: 70 % CPU, 2 to 10 replicas."""
    hpa = of_kind("HorizontalPodAutoscaler").get(name)
    assert hpa, f"no HorizontalPodAutoscaler {name}"
    assert hpa["apiVersion"] == "autoscaling/v2"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert (spec.get("minReplicas"), spec.get("maxReplicas")) == (2, 10)
    (metric,) = spec["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}


@pytest.mark.parametrize("svc", WORKERS)
def test_every_worker_scales_with_keda_on_its_rabbitmq_queue(svc: str) -> None:
    """A ScaledObject on `<svc>-worker`: rabbitmq over http, queue sanctuary.<svc>, 50 a pod."""
    scaled = [
        s
        for s in of_kind("ScaledObject").values()
        if s["spec"]["scaleTargetRef"]["name"] == f"{svc}-worker"
    ]
    assert len(scaled) == 1, f"{svc}-worker has {len(scaled)} ScaledObjects"
    (obj,) = scaled
    assert obj["apiVersion"] == "keda.sh/v1alpha1"
    spec = obj["spec"]
    assert spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    assert f"{svc}-worker" in of_kind("Deployment")
    assert (spec.get("minReplicaCount"), spec.get("maxReplicaCount")) == (1, 10)
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"] == {
        "protocol": "http",
        "queueName": f"sanctuary.{svc}",
        "mode": "QueueLength",
        "value": "50",
    }
    auth = trigger.get("authenticationRef", {}).get("name")
    assert auth in of_kind("TriggerAuthentication"), f"no TriggerAuthentication {auth!r}"


def test_every_scaled_object_targets_a_worker_deployment() -> None:
    """KEDA scales workers only: each ScaledObject names an existing `<svc>-worker`."""
    targets = sorted(s["spec"]["scaleTargetRef"]["name"] for s in of_kind("ScaledObject").values())
    assert targets == sorted(f"{svc}-worker" for svc in WORKERS)


def test_keda_reads_the_management_url_from_the_secret() -> None:
    """The TriggerAuthentication gives KEDA the host from sanctuary-secrets, no literal value."""
    auths = of_kind("TriggerAuthentication")
    assert auths, "no TriggerAuthentication"
    for auth in auths.values():
        assert auth["apiVersion"] == "keda.sh/v1alpha1"
        assert set(auth["spec"]) == {"secretTargetRef"}, "credentials belong in the Secret"
        assert auth["spec"]["secretTargetRef"] == [
            {"parameter": "host", "name": SECRET, "key": KEDA_SECRET_KEY}
        ]


def test_kubectl_kustomize_builds_the_same_resources_in_the_namespace() -> None:
    """`kubectl kustomize` builds the listed resources, namespaced, with the image replaced."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    built = [doc for doc in _yaml.load_all(result.stdout) if doc]
    assert sorted(map(ident, built)) == sorted(map(ident, rendered()))
    image = kustomization()["images"][0]
    for doc in built:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, ident(doc)
        if doc["kind"] == "Deployment":
            spec = doc["spec"]["template"]["spec"]
            for container in [*spec.get("initContainers", []), *spec["containers"]]:
                assert container["image"] == f"{image['newName']}:{image['newTag']}"
