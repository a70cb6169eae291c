"""The delivery rules: unsubscribe tokens, what coordinators see, which emails are optional."""

from __future__ import annotations

from notifications import domain
from notifications.domain import links

SECRET = "test-link-secret"


def test_an_unsubscribe_token_names_the_category_and_no_address() -> None:
    token = links.unsubscribe_token(SECRET, "Amina@Example.org", "reminders")
    assert "amina" not in token.lower()
    hashed, category = links.unsubscribe_request(SECRET, token) or ("", "")
    assert category == "reminders"
    assert hashed == links.address_hash(SECRET, "amina@example.org")  # case does not matter


def test_tokens_we_did_not_sign_are_refused() -> None:
    token = links.unsubscribe_token(SECRET, "amina@example.org", "reminders")
    body, _, signature = token.rpartition(".")
    category, _, hashed = body.partition(".")
    assert links.unsubscribe_request("another-secret", token) is None
    assert links.unsubscribe_request(SECRET, f"checkins.{hashed}.{signature}") is None
    assert links.unsubscribe_request(SECRET, f"{category}.{'0' * 64}.{signature}") is None
    assert links.unsubscribe_request(SECRET, "") is None
    assert links.unsubscribe_request(SECRET, "a.b.c.d") is None


def test_only_reminders_and_check_ins_are_optional() -> None:
    assert set(domain.OPTIONAL_CATEGORIES) == {"event_reminder", "match_checkin"}
    for always in ("registration_confirmed", "registration_cancelled", "match_introduction"):
        assert always not in domain.OPTIONAL_CATEGORIES


def test_a_pending_email_that_failed_once_shows_as_retrying() -> None:
    assert domain.shown_status("pending", 0) == "pending"
    assert domain.shown_status("pending", 2) == "retrying"
    assert domain.shown_status("sending", 1) == "retrying"
    assert domain.shown_status("failed", 3) == "failed"
    assert domain.shown_status("sent", 1) == "sent"
