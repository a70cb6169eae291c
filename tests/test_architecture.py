"""The shape of the code: imports flow one way, and domain modules stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("gateway", "matching", "events", "notifications")
FRAMEWORKS = ("flask", "flask_smorest", "sqlalchemy", "kombu", "amqp", "requests", "alembic")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def package_files(package_dir: Path) -> list[Path]:
    return [p for p in package_dir.rglob("*.py") if "versions" not in p.parts]


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    """Services talk through messages and HTTP, never through each other's code."""
    others = set(SERVICES) - {service}
    for path in package_files(ROOT / "services" / service / service):
        assert not imported_roots(path) & others, path


def test_the_shared_library_imports_no_service() -> None:
    """Dependencies point from services to the shared library, never back."""
    for path in package_files(ROOT / "shared" / "sanctuary"):
        assert not imported_roots(path) & set(SERVICES), path


def domain_files() -> list[Path]:
    """Every service's domain module, or every module of its domain package."""
    found = []
    for service in SERVICES:
        package = ROOT / "services" / service / service
        found += [package / "domain.py"] if (package / "domain.py").exists() else []
        found += sorted((package / "domain").glob("*.py"))
    return found


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_domain_modules_import_no_framework(path: Path) -> None:
    """Domain rules are plain Python: testable without a database, broker or web server."""
    assert not imported_roots(path) & set(FRAMEWORKS)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_shape(service: str) -> None:
    """Knowing one service is knowing all: the same modules in each."""
    package = ROOT / "services" / service / service
    for module in (
        "__main__.py",
        "config.py",
        "models.py",
        "api.py",
        "app.py",
        "bootstrap.py",
        "migrations/env.py",
    ):
        assert (package / module).exists(), f"{service} lacks {module}"
    assert list((package / "migrations" / "versions").glob("0001_*.py"))
