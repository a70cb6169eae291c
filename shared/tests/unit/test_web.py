"""problem+json answers and failure descriptions."""

from __future__ import annotations

from sanctuary.consumer import describe
from sanctuary.web import field_errors


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
