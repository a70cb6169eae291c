"""The shape of the code (docs/architecture.md): every service has the same layers, imports
flow one way, and rooms stay small.

A service package holds four layers and a few root modules:

    <service>/__main__.py, config.py, bootstrap.py    the command line, settings, wiring
    <service>/domain/          pure rules
    <service>/service_layer/   use cases, each through one unit of work
    <service>/adapters/        tables, HTTP clients, SMTP
    <service>/entrypoints/     web routes, clocks, the mailer, CLI commands
    <service>/migrations/      its Alembic history
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest
from sanctuary import safeguarding_words, vocabulary

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("gateway", "matching", "events", "notifications")
CONSUMERS = ("matching", "events", "notifications")  # the gateway consumes no message
LAYERS = ("domain", "service_layer", "adapters", "entrypoints")
ROOT_MODULES = {"__init__.py", "__main__.py", "config.py", "bootstrap.py"}

# What a layer may import of its own service: every arrow points inwards, to the domain.
MAY_IMPORT = {
    "domain": {"domain"},
    "adapters": {"domain", "adapters", "config"},
    "service_layer": {"domain", "adapters", "service_layer", "config"},
    "entrypoints": {"domain", "adapters", "service_layer", "entrypoints", "config", "bootstrap"},
}
WEB = {"flask", "flask_smorest", "flask_babel", "flask_limiter", "flask_talisman", "flask_wtf"}
WEB |= {"werkzeug", "sanctuary.web", "sanctuary.scope"}
BROKER = {"kombu", "amqp", "pika", "sanctuary.consumer", "sanctuary.envelope", "sanctuary.cli"}
IO = {"sqlalchemy", "alembic", "requests", "smtplib", "jinja2", "sanctuary.db"}
IO |= {"sanctuary.outbox", "sanctuary.runtime", "sanctuary.unit_of_work", "sanctuary_dev.mailsink"}
# What a layer must not import from outside the service.
FORBIDDEN = {
    "domain": WEB | BROKER | IO,
    "adapters": WEB | BROKER,
    "service_layer": WEB | BROKER,
    "entrypoints": set(),
}
# The vocabularies whose words must never be written as bare strings. Left out, and why:
# Locale (two-letter codes are also the spoken languages people tick), Reminder ("day" is
# also a slot's field), Check (its names are also columns and form fields), RejectionReason
# (its words are also email templates' names) and MessageOutcome (words of logs and commands).
GUARDED = (
    vocabulary.VolunteerStatus,
    vocabulary.NewcomerStatus,
    vocabulary.CheckOutcome,
    vocabulary.MatchStatus,
    vocabulary.MatchAction,
    vocabulary.Checkin,
    vocabulary.EventKind,
    vocabulary.EventStatus,
    vocabulary.SubmissionStatus,
    vocabulary.RegistrationStatus,
    vocabulary.DeliveryStatus,
    safeguarding_words.ConcernStatus,
    safeguarding_words.ConcernUrgency,
)
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def imported(path: Path) -> set[str]:
    """Every module `path` imports, as dotted names (relative imports resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: use absolute imports"
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def matches(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def package_dir(service: str) -> Path:
    return ROOT / "services" / service / service


def production_files() -> Iterator[Path]:
    """The code that runs in production: every service package and the shared library."""
    for folder in [ROOT / "shared" / "sanctuary", *(package_dir(s) for s in SERVICES)]:
        yield from (p for p in sorted(folder.rglob("*.py")) if "migrations" not in p.parts)


def code_files() -> Iterator[Path]:
    """All code but tests and migrations: production, the developers' tools, the benchmarks."""
    yield from production_files()
    for folder in (ROOT / "devtools" / "sanctuary_dev", ROOT / "bench", ROOT / "chaos"):
        yield from sorted(folder.rglob("*.py"))


def layered_files() -> list[tuple[str, str, Path]]:
    return [
        (service, layer, path)
        for service in SERVICES
        for layer in LAYERS
        for path in sorted((package_dir(service) / layer).rglob("*.py"))
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    """Services talk through messages and HTTP, never through each other's code."""
    others = set(SERVICES) - {service}
    for path in production_files():
        if package_dir(service) in path.parents:
            assert not {n for n in imported(path) if matches(n, others)}, path


def test_the_shared_library_imports_no_service() -> None:
    """Dependencies point from services to the shared library, never back."""
    for path in (ROOT / "shared" / "sanctuary").rglob("*.py"):
        assert not {n for n in imported(path) if matches(n, set(SERVICES))}, path


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_shape(service: str) -> None:
    """Knowing one service is knowing all: the same layers and root modules in each."""
    package = package_dir(service)
    for layer in LAYERS:
        assert (package / layer / "__init__.py").exists(), f"{service} lacks {layer}/"
    for module in (*ROOT_MODULES, "adapters/models.py", "entrypoints/web.py", "migrations/env.py"):
        assert (package / module).exists(), f"{service} lacks {module}"
    assert list((package / "migrations" / "versions").glob("0001_*.py"))
    strays = {p.name for p in package.glob("*.py")} - ROOT_MODULES
    assert not strays, f"{service}: modules outside the layers: {sorted(strays)}"
    if service in CONSUMERS:
        handlers = package / "service_layer" / "handlers"
        assert handlers.with_suffix(".py").exists() or (handlers / "__init__.py").exists()


@pytest.mark.parametrize(
    ("service", "layer", "path"),
    layered_files(),
    ids=lambda v: str(v.relative_to(ROOT / "services")) if isinstance(v, Path) else "",
)
def test_each_layer_imports_only_what_it_may(service: str, layer: str, path: Path) -> None:
    """Domain rules know no framework; use cases know no web or broker; adapters know no use
    case; only entrypoints know everything."""
    names = imported(path)
    own_layers = {n.split(".")[1] for n in names if n.startswith(service + ".") and "." in n}
    assert own_layers <= MAY_IMPORT[layer], f"{layer} imports {own_layers - MAY_IMPORT[layer]}"
    forbidden = {n for n in names if matches(n, FORBIDDEN[layer])}
    assert not forbidden, f"{layer} imports {sorted(forbidden)}"


@pytest.mark.parametrize("path", list(code_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_and_function_is_small(path: Path) -> None:
    """Small rooms: a module over 300 lines or a function over 50 hides more than one concern."""
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{path.name} is over 300 lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or 0) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def bare_vocabulary(source: str, words: set[str]) -> list[tuple[int, str]]:
    """The vocabulary words written as bare strings in `source`, with their lines; not in
    docstrings, dict keys or subscripts (a column or a JSON field named like a word)."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Dict):
            skipped |= {id(key) for key in node.keys if key is not None}
        if isinstance(node, ast.Subscript):
            skipped.add(id(node.slice))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in words
        and id(node) not in skipped
    ]


@pytest.mark.parametrize("path", list(production_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_word_of_a_vocabulary_comes_from_its_enum(path: Path) -> None:
    """Statuses, kinds and actions are defined once (`sanctuary.vocabulary`); a bare
    "waitlisted" elsewhere is a second definition that can drift."""
    if path.name in ("vocabulary.py", "safeguarding_words.py"):  # where the words are defined
        return
    words = {member.value for enum in GUARDED for member in enum}
    assert not bare_vocabulary(path.read_text(), words)


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    """The checks above can fail: a domain module importing SQLAlchemy, a use case importing
    an entrypoint, a status written as a bare string."""
    domain = tmp_path / "svc" / "domain" / "rules.py"
    domain.parent.mkdir(parents=True)
    domain.write_text("from sqlalchemy import select\nfrom svc.entrypoints import web\n")
    names = imported(domain)
    assert {n for n in names if matches(n, FORBIDDEN["domain"])} == {
        "sqlalchemy",
        "sqlalchemy.select",
    }
    own = {n.split(".")[1] for n in names if n.startswith("svc.")}
    assert not own <= MAY_IMPORT["service_layer"]
    source = 'if status == "waitlisted":\n    row["waitlisted"] = {"confirmed": 1}\n'
    assert bare_vocabulary(source, {"waitlisted", "confirmed"}) == [(1, "waitlisted")]
    assert all(issubclass(enum, StrEnum) for enum in GUARDED)
