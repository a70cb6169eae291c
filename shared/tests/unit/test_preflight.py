"""Waiting at start: exponential backoff, capped, with jitter; one log line a try; a limit."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sanctuary import preflight
from sqlalchemy import create_engine, text


def test_delays_double_up_to_the_cap_and_jitter_takes_at_most_half_off() -> None:
    """No jitter: 0.5, 1, 2, 4 ... 30. Full jitter: half of that."""
    top = list(itertools.islice(preflight.delays(0.5, 30.0, lambda: 1.0), 9))
    bottom = list(itertools.islice(preflight.delays(0.5, 30.0, lambda: 0.0), 9))
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert bottom == [d / 2 for d in top]


def test_jittered_delays_differ_between_processes() -> None:
    """Processes restarted together do not knock on the broker in step."""
    first = list(itertools.islice(preflight.delays(), 6))
    second = list(itertools.islice(preflight.delays(), 6))
    assert first != second


def answers_after(failures: int) -> Iterator[str | None]:
    return iter([*(f"ConnectionRefusedError: try {n}" for n in range(failures)), None])


def test_one_warning_per_failed_try_with_attempt_delay_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three refusals, then the broker answers: three lines, then one saying it is there."""
    answers = answers_after(3)
    with caplog.at_level(logging.INFO, logger="sanctuary.preflight"):
        assert preflight.wait_for(
            "broker",
            lambda: next(answers),
            target="amqp://guest:**@host:5672//",
            max_wait=60,
            stopping=threading.Event(),
            backoff=iter([0.01, 0.02, 0.04, 0.08]),
        )
    waiting = [r for r in caplog.records if getattr(r, "event", "") == "waiting for broker"]
    assert [(r.attempt, r.retry_in_s, r.reason) for r in waiting] == [  # type: ignore[attr-defined]
        (1, 0.01, "ConnectionRefusedError: try 0"),
        (2, 0.02, "ConnectionRefusedError: try 1"),
        (3, 0.04, "ConnectionRefusedError: try 2"),
    ]
    assert caplog.records[-1].event == "broker is there"  # type: ignore[attr-defined]


def test_no_line_at_all_when_the_dependency_is_there_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The usual start is quiet."""
    with caplog.at_level(logging.INFO, logger="sanctuary.preflight"):
        assert preflight.wait_for(
            "database", lambda: None, target="x", max_wait=1, stopping=threading.Event()
        )
    assert caplog.records == []


def test_it_gives_up_with_the_reason_once_the_next_wait_would_pass_the_limit() -> None:
    """A misconfigured deploy fails, clearly, instead of waiting for ever."""
    with pytest.raises(preflight.GaveUp) as raised:
        preflight.wait_for(
            "database",
            lambda: "OperationalError: database does not exist",
            target="postgresql+psycopg://matching:***@db/matching",
            max_wait=0.1,
            stopping=threading.Event(),
            backoff=itertools.repeat(0.04),
        )
    message = str(raised.value.code)
    assert message.startswith("gave up waiting for database at postgresql+psycopg://matching:***@")
    assert message.endswith("(STARTUP_WAIT_SECONDS=0.1): OperationalError: database does not exist")


def test_a_stop_signal_ends_the_wait_at_once() -> None:
    """SIGTERM while waiting: no need to wait out the backoff."""
    stopping = threading.Event()
    stopping.set()
    assert not preflight.wait_for(
        "broker", lambda: "refused", target="x", max_wait=600, stopping=stopping
    )


def test_urls_in_log_lines_carry_no_password() -> None:
    """The target is logged; the secret in it is not."""
    assert "s3cret" not in preflight.safe_amqp_url("amqp://svc:s3cret@rabbit:5672/%2F")
    assert "s3cret" not in preflight.safe_database_url("postgresql+psycopg://svc:s3cret@db/x")
    cluster = "amqp://svc:s3cret@r1:5672/v;amqp://svc:s3cret@r2:5673/v"
    assert preflight.safe_amqp_url(cluster) == "amqp://r1:5672/v;amqp://r2:5673/v"


# A process that checks its schema as a background process does at start, three times:
# none yet, behind, at the head; then says whether it imported alembic itself.
CHECK_THRICE = """
import sys
from sqlalchemy import create_engine, text
from sanctuary import preflight
folder = sys.argv[1]
engine = create_engine(f"sqlite:///{folder}/m.db")
migrations = f"{folder}/migrations"
print(preflight.database_problem_apart(engine, migrations))
with engine.begin() as connection:
    connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
    connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
print(preflight.database_problem_apart(engine, migrations))
with engine.begin() as connection:
    connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
print(preflight.database_problem_apart(engine, migrations))
print("alembic" in sys.modules)
"""


def test_the_schema_is_checked_in_a_child_and_alembic_stays_out_of_the_process(
    tmp_path: Path,
) -> None:
    """A long-running process asks once, at start: the answer is alembic's, from a forked
    child, and the process itself never imports alembic (7 MiB it would hold for good)."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    for revision, down in (("0001", None), ("0002", "0001")):
        (versions / f"{revision}_x.py").write_text(
            f"revision = {revision!r}\ndown_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n"
        )
    done = subprocess.run(
        [sys.executable, "-c", CHECK_THRICE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    not_there, behind, ready, imported = done.stdout.splitlines()
    assert not_there.startswith("the schema is not there yet")
    assert behind == "the schema is at ['0001']; this code needs ['0002']"
    assert (ready, imported) == ("None", "False")


def test_a_check_whose_child_fails_is_a_problem_to_wait_on_not_a_crash(tmp_path: Path) -> None:
    """The child ends without an answer (here: no migrations where it looks): the process
    is told a problem, and waits and asks again as for any other."""
    engine = create_engine(f"sqlite:///{tmp_path}/m.db")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    answer = preflight.database_problem_apart(engine, tmp_path / "no-migrations-here")
    assert answer == "the schema check failed in its child process"
    engine.dispose()
