"""problem+json answers and failure descriptions."""

from __future__ import annotations

from typing import Any

from sanctuary.failures import describe
from sanctuary.problems import field_errors


def test_nested_validation_messages_become_one_flat_list_of_fields() -> None:
    """Each entry names the field, a JSON pointer and the reason."""
    messages = {
        "email": ["Not a valid email address."],
        "languages": {0: ["Bad code."]},
        "_schema": ["Invalid input type."],
    }
    assert field_errors(messages) == [
        {"field": "email", "pointer": "#/email", "detail": "Not a valid email address."},
        {"field": "languages.0", "pointer": "#/languages/0", "detail": "Bad code."},
        {"field": "(body)", "pointer": "#", "detail": "Invalid input type."},
    ]


def test_failure_descriptions_keep_email_addresses_out() -> None:
    """What goes into logs and parking-lot headers carries no address."""
    text = describe(ValueError("mailbox amina.k+1@example.org is full"))
    assert text == "ValueError: mailbox <email> is full"


def test_failure_descriptions_are_one_short_line() -> None:
    """Headers stay small and logs stay readable."""
    text = describe(RuntimeError("first line\nsecond line " + "x" * 500))
    assert text == "RuntimeError: first line"


def test_log_lines_never_carry_an_email_even_from_a_database_error() -> None:
    """The JSON formatter blanks addresses a database error quotes back at us."""
    import logging

    from sanctuary.logs import JsonFormatter

    try:
        raise ValueError("DETAIL: Key (event_id, email)=(1, ana@example.org) already exists.")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "t", logging.WARNING, __file__, 1, "failed for %s", ("bo@example.org",), sys.exc_info()
        )
    line = JsonFormatter("events").format(record)
    assert "@example.org" not in line
    assert "failed for <email>" in line


def _internal_app() -> Any:
    """A Flask app with one internal route behind the service credential."""
    from flask import Blueprint, Flask
    from sanctuary.problems import install_error_handlers
    from sanctuary.web import require_service_token

    internal = Blueprint("internal", __name__)
    require_service_token(internal)
    internal.add_url_rule("/internal", "internal", lambda: "in")
    app = Flask(__name__)
    install_error_handlers(app)
    app.register_blueprint(internal)
    return app


def test_an_empty_service_credential_lets_no_one_in() -> None:
    """Even with INTERNAL_TOKEN empty, an internal API refuses a caller with no token."""
    app = _internal_app()
    client = app.test_client()
    for token in ("", "s3cret"):
        app.config["INTERNAL_TOKEN"] = token
        assert client.get("/internal").status_code == 401
        assert client.get("/internal", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/internal", headers={"Authorization": "Bearer s3cret"}).text == "in"


def test_the_bearer_scheme_is_read_in_any_case() -> None:
    """RFC 9110: an authentication scheme is case-insensitive; the token is not."""
    app = _internal_app()
    app.config["INTERNAL_TOKEN"] = "s3cret"
    client = app.test_client()
    for scheme in ("Bearer", "bearer", "BEARER", "  bEaReR"):
        answer = client.get("/internal", headers={"Authorization": f"{scheme} s3cret"})
        assert answer.text == "in", scheme
    for wrong in ("Basic s3cret", "Bearer S3CRET", "Bearers3cret", "s3cret"):
        assert client.get("/internal", headers={"Authorization": wrong}).status_code == 401
