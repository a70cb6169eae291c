"""The unsubscribe page speaks the reader's language and stays a page when notifications is
down (the one-click flow itself is tested end to end in test_mail_delivery.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TOKEN = "reminders." + "a" * 64 + "." + "B" * 32


def test_the_page_asks_in_the_readers_language_and_changes_nothing(
    make_app: Callable[..., Any],
) -> None:
    client = make_app(notifications_url="http://127.0.0.1:1").test_client()
    page = client.get(f"/unsubscribe/{TOKEN}", headers={"Accept-Language": "ar"})
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "هل تريد إيقاف هذه الرسائل؟" in page.text
    assert f'action="/unsubscribe/{TOKEN}"' in page.text


def test_a_click_while_notifications_is_down_gets_a_page_to_retry(
    make_app: Callable[..., Any],
) -> None:
    client = make_app(notifications_url="http://127.0.0.1:1", upstream_timeout=0.5).test_client()
    answer = client.post(
        f"/unsubscribe/{TOKEN}", headers={"Accept": "text/html", "Accept-Language": "uk"}
    )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "60"
    assert answer.mimetype == "text/html"
    assert '<html lang="uk"' in answer.text


def test_a_token_of_the_wrong_shape_is_not_found(make_app: Callable[..., Any]) -> None:
    assert make_app().test_client().get("/unsubscribe/nope").status_code == 404
