"""Which email a fact calls for, how it reads, and how patiently it is retried."""

from __future__ import annotations

from datetime import timedelta

from email_samples import GROUP
from notifications import domain
from notifications.adapters.mail import render
from sanctuary import references
from sanctuary_dev.messages import registered
from sanctuary_dev.secrets import with_secrets


def test_a_registration_plans_one_welcome_per_volunteer() -> None:
    """The dedupe key is the purpose and the person, not the message."""
    event = registered(name="Amina", email="amina@example.org")
    first, second = domain.welcome(event), domain.welcome(event)
    assert first == second
    assert first.dedupe_key == f"volunteer_welcome:{event.volunteer_id}"
    assert first.to_address == "amina@example.org"
    # The reference the sign-up's 202 and thank-you page gave, to quote when they call.
    assert first.context == {"name": "Amina", "reference": references.of(event.volunteer_id)}


def test_retries_wait_the_configured_delays_then_the_last_one_again() -> None:
    """RETRY_DELAYS_MS in turn, as the delay queues do; the last one repeats."""
    delays = [domain.retry_delay(n, (1_000, 10_000, 60_000)) for n in range(1, 6)]
    assert delays == [timedelta(seconds=s) for s in (1, 10, 60, 60, 60)]


def test_only_5xx_smtp_answers_are_permanent() -> None:
    """A full mailbox (452) may empty; an unknown one (550) will not appear."""
    assert domain.is_permanent_smtp_code(550)
    assert not domain.is_permanent_smtp_code(452)


def test_the_welcome_email_has_text_and_html_and_a_stable_message_id() -> None:
    """Both parts greet the person; a resend would carry the same Message-ID."""
    message = render(
        "volunteer_welcome",
        {"name": "Amina", "group": GROUP},
        to="amina@example.org",
        sender="Network <hello@network.example>",
        message_id="d-1",
    )
    assert message["Message-ID"] == "<d-1@network.example>"
    assert message["To"] == "amina@example.org"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dear Amina," in text
    assert "Dear Amina," in html
    assert "Welcome" in message["Subject"]


def test_an_email_is_signed_by_the_readers_group_and_replies_go_to_its_contact() -> None:
    """From: the group's name at the configured address (the group's own domain would fail
    SPF); Reply-To and the text: the group's contact; a non-ASCII name is encoded."""
    group = domain.signature("مجموعة شفيلد", "sheffield@sanctuary.example", local=True)
    message = render(
        "volunteer_welcome",
        {"name": "Amina", "group": group},
        to="amina@example.org",
        sender="Network <hello@network.example>",
        message_id="d-1",
    )
    assert message["From"].addresses[0].display_name == "مجموعة شفيلد"
    assert message["From"].addresses[0].addr_spec == "hello@network.example"
    assert message["Reply-To"] == "sheffield@sanctuary.example"
    text = message.get_body(("plain",)).get_content()
    assert "مجموعة شفيلد" in text
    assert "Write to sheffield@sanctuary.example." in text


def test_times_are_shown_as_people_there_read_them() -> None:
    """London in winter is GMT, in summer BST."""
    from datetime import UTC, datetime

    assert domain.local_time(datetime(2026, 12, 5, 10, 30, tzinfo=UTC), "Europe/London") == (
        "Saturday 5 December 2026, 10:30 GMT"
    )
    assert domain.local_time(datetime(2027, 6, 5, 9, 0, tzinfo=UTC), "Europe/London") == (
        "Saturday 5 June 2027, 10:00 BST"
    )


def test_a_referred_request_is_acknowledged_to_the_referrer() -> None:
    """No email of their own: the support worker hears, addressed as the referrer."""

    from sanctuary_dev.messages import requested

    request = requested()
    email = domain.request_received(request)
    assert email is not None
    assert email.to_address == "worker@charity.example"
    reference = references.of(request.newcomer_id)
    assert email.context == {"name": "Yonas", "referred": True, "reference": reference}
    text = (
        render(
            email.template,
            {**email.context, "group": GROUP},
            to=email.to_address,
            sender="N <n@n.example>",
            message_id="m",
        )
        .get_body(("plain",))
        .get_content()
    )
    assert "Thank you for referring Yonas" in text
    assert f"Reference: {reference}\n" in text


def test_a_public_base_url_that_links_could_not_carry_is_refused_at_start() -> None:
    """The links go into headers and HTML as they are: no quotes, spaces, & or non-ASCII."""
    import pytest
    from notifications.config import from_env
    from sanctuary.config import ConfigError

    assert from_env(
        with_secrets({"PUBLIC_BASE_URL": "https://sanctuary.example/"})
    ).public_base_url == ("https://sanctuary.example")
    for bad in (
        'https://a.example/"x',
        "https://a.example/?a=1&b=2",
        "ftp://a.example",
        "https://ü.example",
    ):
        with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
            from_env(with_secrets({"PUBLIC_BASE_URL": bad}))


def test_unset_public_base_url_follows_the_gateways_port() -> None:
    """A changed GATEWAY_PORT changed every emailed link's port with it; unset, localhost."""
    from notifications.config import from_env

    assert from_env(with_secrets({"GATEWAY_PORT": "8123"})).public_base_url == (
        "http://localhost:8123"
    )
    assert from_env(with_secrets({})).public_base_url == "http://localhost:8000"
    named = {"GATEWAY_PORT": "8123", "PUBLIC_BASE_URL": "https://sanctuary.example.org"}
    assert from_env(with_secrets(named)).public_base_url == "https://sanctuary.example.org"
