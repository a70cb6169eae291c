"""bench.intake sorts py-spy's samples of the gateway's worker by step and by library."""

from __future__ import annotations

from collections import Counter

from bench.intake import OTHER_STEP, library_of, shares, step_of

SERVE = (
    "_handle (gevent/baseserver.py:34)",
    "AsyncWorker.handle (gunicorn/workers/base_async.py:98)",
)
FLASK = (
    *SERVE,
    "Flask.__call__ (flask/app.py:1536)",
    "Volunteers.post (gateway/entrypoints/x.py:1)",
)
ACCEPT = (
    *FLASK,
    "record (gateway/entrypoints/submissions.py:49)",
    "accept (gateway/service_layer/intake.py:57)",
)
PLACE = (
    *ACCEPT,
    "place (gateway/entrypoints/submissions.py:40)",
    "Session.execute (sqlalchemy/orm/session.py:2555)",
)


def test_a_sample_goes_to_the_first_step_on_its_stack() -> None:
    assert step_of(PLACE).startswith("finding the group")
    assert step_of(ACCEPT).startswith("recording")
    assert step_of(FLASK).startswith("Flask around the view")
    assert step_of(SERVE) == OTHER_STEP


def test_a_sample_goes_to_the_innermost_library_else_our_code() -> None:
    assert library_of(PLACE) == "SQLAlchemy"
    assert library_of(ACCEPT) == "our code (gateway, sanctuary)"
    assert library_of((*ACCEPT, "wait_poll (psycopg/waiting.py:512)")) == "psycopg"
    assert library_of(SERVE) == "gunicorn, gevent"
    assert library_of(("<module> (json/decoder.py:1)",)) == "the rest of Python"


def test_shares_add_up_to_a_hundred_largest_first() -> None:
    samples = Counter({PLACE: 3, ACCEPT: 1, SERVE: 4})
    found = shares(samples, step_of)
    assert found[0][0] == OTHER_STEP
    assert [round(share) for _, share in found] == [50, 38, 12]
