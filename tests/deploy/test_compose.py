"""docker-compose.yml, deploy/Dockerfile and deploy/postgres/init.sql describe the whole system.

Checked without a Docker engine: the compose file against the compose spec (the schema that
check-jsonschema vendors), then what no schema knows: every process type has its container,
waits for what it needs, and reaches its own database and no other.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"

SERVICES = ("gateway", "matching", "events", "notifications")
# Each container's command, as the Procfile runs it (the README documents both).
PROCESSES: dict[str, list[str]] = {}
for _svc in SERVICES:
    PROCESSES[f"{_svc}-web"] = [
        *("gunicorn", "-c", "python:sanctuary.serving", "--bind", "0.0.0.0:8000"),
        *("--workers", "2"),
        f"{_svc}.entrypoints.web:create_app()",
    ]
    PROCESSES[f"{_svc}-relay"] = ["python", "-m", _svc, "relay"]
    if _svc != "gateway":
        PROCESSES[f"{_svc}-worker"] = ["python", "-m", _svc, "worker"]
PROCESSES["notifications-mailer"] = ["python", "-m", "notifications", "mailer"]
PROCESSES["matching-clock"] = ["python", "-m", "matching", "clock"]
PROCESSES["events-clock"] = ["python", "-m", "events", "clock"]
MIGRATIONS = {f"{svc}-migrate": ["python", "-m", svc, "migrate"] for svc in SERVICES}
WEB = sorted(name for name in PROCESSES if name.endswith("-web"))
APP = sorted(PROCESSES) + sorted(MIGRATIONS)


def owner(container: str) -> str:
    """The service a container belongs to: `matching-worker` -> `matching`."""
    return container.rsplit("-", 1)[0]


@cache
def compose() -> dict[str, Any]:
    # The safe loader resolves the anchors and `<<` merge keys the file uses to stay short.
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(COMPOSE.read_text())
    return data


def container(name: str) -> dict[str, Any]:
    services: dict[str, Any] = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    spec: dict[str, Any] = services[name]
    return spec


def environment(name: str) -> dict[str, str]:
    """A container's environment, whether written as a mapping or as a `KEY=value` list."""
    env = container(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_on(name: str) -> dict[str, str]:
    """What a container waits for, and the condition (short list form means service_started)."""
    deps = container(name).get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {dep: (spec or {}).get("condition", "service_started") for dep, spec in deps.items()}


def test_the_compose_file_matches_the_compose_spec() -> None:
    """check-jsonschema accepts docker-compose.yml against its vendored compose-spec schema."""
    exe = Path(sys.executable).parent / "check-jsonschema"
    assert exe.exists(), f"check-jsonschema is not installed beside {sys.executable}"
    result = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _compose_command() -> list[str] | None:
    if v1 := shutil.which("docker-compose"):
        return [v1]
    if (docker := shutil.which("docker")) and subprocess.run(
        [docker, "compose", "version"], capture_output=True, timeout=30
    ).returncode == 0:
        return [docker, "compose"]
    return None


def test_a_compose_binary_accepts_the_file() -> None:
    """`docker compose config -q` (or docker-compose v1) parses and interpolates the file."""
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is on PATH")
    secrets = {
        name: "a-long-random-test-value"
        for name in ("INTERNAL_TOKEN", "LINK_SECRET", "RABBITMQ_PASSWORD", "POSTGRES_PASSWORD")
    }
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT,
        env={**os.environ, **secrets},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted({**PROCESSES, **MIGRATIONS}))
def test_every_process_type_has_a_container_running_its_command(name: str) -> None:
    """Each process type of each service, and each migration job, runs the documented command."""
    command = container(name).get("command")
    expected = {**PROCESSES, **MIGRATIONS}[name]
    if isinstance(command, str):
        command = command.split()
    assert command == expected


@pytest.mark.parametrize("name", APP)
def test_every_app_container_is_built_from_the_one_dockerfile(name: str) -> None:
    """Every app container builds the repository root with deploy/Dockerfile."""
    build = container(name).get("build")
    assert isinstance(build, dict), f"{name} has no build section"
    assert build.get("context") == "."
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", [*WEB, "rabbitmq", "postgres", "mailpit"])
def test_every_long_running_server_has_a_healthcheck(name: str) -> None:
    """Web processes and the broker, database and mail sink each declare a healthcheck."""
    check = container(name).get("healthcheck") or {}
    assert check.get("test"), f"{name} has no healthcheck"
    assert not check.get("disable"), f"{name} disables its healthcheck"


@pytest.mark.parametrize("name", WEB)
def test_every_web_healthcheck_asks_readyz_on_the_gunicorn_port(name: str) -> None:
    """A web process is healthy only when /readyz on port 8000 (its database) answers."""
    test = " ".join(container(name)["healthcheck"]["test"])
    assert ":8000/readyz" in test
    assert "curl" not in test, "python:3.11-slim has no curl"
    assert "wget" not in test, "python:3.11-slim has no wget"


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_every_process_waits_for_the_broker_the_database_and_its_migration(name: str) -> None:
    """rabbitmq and postgres healthy, and the service's own migrate job completed."""
    deps = depends_on(name)
    assert deps.get("rabbitmq") == "service_healthy"
    assert deps.get("postgres") == "service_healthy"
    assert deps.get(f"{owner(name)}-migrate") == "service_completed_successfully"


@pytest.mark.parametrize("name", sorted(MIGRATIONS))
def test_every_migration_job_is_a_one_shot_after_the_servers(name: str) -> None:
    """A migrate job waits for healthy servers and is never restarted once it has exited."""
    deps = depends_on(name)
    assert deps.get("rabbitmq") == "service_healthy"
    assert deps.get("postgres") == "service_healthy"
    # A restart policy would rerun a finished job forever: service_completed_successfully
    # would then never hold.
    assert str(container(name).get("restart", "no")) == "no"


@pytest.mark.parametrize("name", [n for n in PROCESSES if owner(n) == "notifications"])
def test_notifications_processes_wait_for_mailpit_and_send_to_it(name: str) -> None:
    """Every notifications process waits for a healthy Mailpit and points SMTP at it."""
    assert depends_on(name).get("mailpit") == "service_healthy"
    env = environment(name)
    assert (env.get("SMTP_HOST"), env.get("SMTP_PORT")) == ("mailpit", "1025")


def test_the_gateway_web_waits_for_the_internal_apis_and_finds_them_by_name() -> None:
    """gateway-web starts after the other web processes are healthy and calls them by name."""
    deps = depends_on("gateway-web")
    env = environment("gateway-web")
    for svc in SERVICES[1:]:
        assert deps.get(f"{svc}-web") == "service_healthy"
        assert env.get(f"{svc.upper()}_URL") == f"http://{svc}-web:8000"
    assert "${GATEWAY_PORT:-8000}:8000" in container("gateway-web").get("ports", [])


@pytest.mark.parametrize("name", APP)
def test_every_container_reaches_only_its_own_database_as_its_own_role(name: str) -> None:
    """Exactly one database URL per container: the owner's database, role and password."""
    svc = owner(name)
    urls = {k: v for k, v in environment(name).items() if k.endswith("_DATABASE_URL")}
    assert list(urls) == [f"{svc.upper()}_DATABASE_URL"], f"{name} sees {sorted(urls)}"
    url = urlsplit(urls[f"{svc.upper()}_DATABASE_URL"])
    assert url.scheme == "postgresql+psycopg"
    assert (url.username, url.password, url.hostname) == (svc, svc, "postgres")
    assert url.path == f"/{svc}"


@pytest.mark.parametrize("name", APP)
def test_every_container_has_the_broker_and_the_service_credential(name: str) -> None:
    """AMQP_URL names the rabbitmq service; INTERNAL_TOKEN comes from the environment."""
    env = environment(name)
    assert urlsplit(env.get("AMQP_URL", "")).hostname == "rabbitmq"
    assert env.get("INTERNAL_TOKEN", "").startswith("${INTERNAL_TOKEN")


def test_postgres_runs_init_sql_on_a_named_volume() -> None:
    """postgres mounts deploy/postgres/init.sql into its init directory and keeps its data."""
    volumes = container("postgres").get("volumes", [])
    assert "./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/init.sql:ro" in volumes
    named = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert named, "postgres keeps its data in no volume"
    assert named[0] in (compose().get("volumes") or {}), f"{named[0]} is not a named volume"


def _sql() -> str:
    # Drop `--` comments so that a commented-out statement does not count.
    return re.sub(r"--[^\n]*", "", INIT_SQL.read_text())


@pytest.mark.parametrize("svc", SERVICES)
def test_init_sql_makes_a_login_role_and_a_database_it_owns(svc: str) -> None:
    """init.sql creates the role (password = name), its database, and shuts PUBLIC out."""
    sql = " ".join(_sql().split())
    assert re.search(rf"CREATE ROLE {svc} (WITH )?LOGIN PASSWORD '{svc}';", sql, re.I)
    assert re.search(rf"CREATE DATABASE {svc} (WITH )?OWNER {svc};", sql, re.I)
    assert re.search(rf"REVOKE [A-Z, ]*CONNECT[A-Z, ]* ON DATABASE {svc} FROM PUBLIC;", sql, re.I)


def test_init_sql_grants_no_role_anything_beyond_its_own_database() -> None:
    """No GRANT and no superuser-like attribute: each role owns its database and nothing else."""
    sql = _sql()
    assert not re.search(r"\bGRANT\b", sql, re.I)
    assert not re.search(r"\b(SUPERUSER|CREATEDB|CREATEROLE|REPLICATION|BYPASSRLS)\b", sql, re.I)


def test_the_image_runs_as_an_unprivileged_user() -> None:
    """deploy/Dockerfile exists and its last USER line names neither root nor uid 0."""
    users = re.findall(r"^\s*USER\s+(\S+)", DOCKERFILE.read_text(), re.M | re.I)
    assert users, "deploy/Dockerfile has no USER line: the processes would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_the_image_installs_the_five_packages_from_python_3_11_slim_non_editable() -> None:
    """One python:3.11-slim image with shared/ and the four services installed as packages."""
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    install = " ".join(re.findall(r"pip install[^&]*", text.replace("\\\n", " ")))
    for package in ("shared", *(f"services/{svc}" for svc in SERVICES)):
        assert re.search(rf"\S*{package}\b", install), f"{package} is not pip-installed"
    assert not re.search(r"\s(-e|--editable)\s", install)


def test_the_build_context_leaves_out_local_state() -> None:
    """The root .dockerignore keeps the venv, the data, git and caches out of the image."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for entry in (".venv", "var", ".git", "**/__pycache__", ".pytest_cache"):
        assert entry in ignored


def test_no_secret_has_a_default_and_compose_says_which_is_missing() -> None:
    """Every secret is `${NAME:?...}` (compose stops, naming it) or, for the optional
    bootstrap credential, empty: no `change-me` value anywhere, no broker password in clear."""
    text = COMPOSE.read_text()
    assert "change-me" not in text.lower()
    for name in ("INTERNAL_TOKEN", "LINK_SECRET", "RABBITMQ_PASSWORD", "POSTGRES_PASSWORD"):
        assert f"${{{name}:?" in text, name
    assert environment("gateway-web")["ADMIN_TOKEN"] == "${ADMIN_TOKEN:-}"
    assert environment("rabbitmq")["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_PASSWORD:?")
    for name in APP:
        password = urlsplit(environment(name)["AMQP_URL"]).password
        assert password == "${RABBITMQ_PASSWORD}", name


def test_only_the_gateway_is_published_beyond_loopback() -> None:
    """The broker (and its known user), its UI, Mailpit and Prometheus answer on 127.0.0.1
    only; the gateway is the one public door."""
    published = {name: spec.get("ports", []) for name, spec in compose()["services"].items()}
    assert published.pop("gateway-web") == ["${GATEWAY_PORT:-8000}:8000"]
    assert {name for name, ports in published.items() if ports} == {
        "rabbitmq",
        "mailpit",
        "prometheus",
    }
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_a_compose_binary_refuses_to_start_without_the_secrets() -> None:
    """Interpolation fails, naming a missing secret; with all four set it passes."""
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is on PATH")
    names = ("INTERNAL_TOKEN", "LINK_SECRET", "RABBITMQ_PASSWORD", "POSTGRES_PASSWORD")
    bare = {k: v for k, v in os.environ.items() if k not in names}
    run = [*command, "-f", str(COMPOSE), "config", "-q"]
    refused = subprocess.run(run, cwd=ROOT, env=bare, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert any(name in refused.stderr for name in names), refused.stderr
