"""The link to a person's own data (/my-data, ADR 0026) through the real worker and mailer:
person.data_link_requested for an address held here arrives as one email whose link opens
the request's token; for an address not held, nothing arrives.

Real: RabbitMQ (a private vhost), PostgreSQL (a private database), the worker (a thread),
the mailer and an SMTP server (aiosmtpd) over TCP.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from mailing import LEEDS, SECRET
from notifications.adapters import templating
from notifications.adapters.models import Delivery, Inbox
from notifications.config import NotificationsConfig
from notifications.entrypoints.mailer import Mailer
from sanctuary.contracts import DataLinkRequested
from sanctuary.links import data_link_id
from sanctuary.runtime import Service
from sanctuary_dev.looking import count
from sanctuary_dev.messages import publish_message, registered
from sanctuary_dev.processes import running_worker, wait_until

pytestmark = pytest.mark.integration
AMINA = "amina@example.org"


@pytest.fixture
def notifications(leeds_mailing: Service) -> Service:
    return leeds_mailing


def received(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def test_a_held_address_gets_the_link_and_the_link_opens_the_token(
    notifications: Service, sink: tuple[int, Path]
) -> None:
    config = notifications.config
    assert isinstance(config, NotificationsConfig)
    url = config.amqp_url
    expires_at = datetime.now(UTC) + timedelta(minutes=30)
    theirs = DataLinkRequested(
        link_id=uuid.uuid4(), email="Amina@Example.org", locale="uk", expires_at=expires_at
    )
    nobodys = DataLinkRequested(
        link_id=uuid.uuid4(), email="nobody@example.org", expires_at=expires_at
    )
    publish_message(url, registered(name="Amina Khalid", email=AMINA, group_id=LEEDS))
    with running_worker(notifications):
        wait_until(lambda: count(notifications, Delivery) == 1)  # her welcome
        publish_message(url, theirs)
        publish_message(url, nobodys)
        publish_message(url, theirs)  # the relay sent it again: still one email
        wait_until(lambda: count(notifications, Inbox) == 4)
    assert Mailer(notifications.engine, config).send_due() == 2

    [link_email] = [m for m in received(sink[1]) if "welcome" not in str(m["Subject"]).lower()]
    assert [m["To"] for m in received(sink[1])] == [AMINA, AMINA]
    assert link_email["To"] == AMINA
    ukrainian = templating.catalogue("uk").gettext
    assert str(link_email["Subject"]) == ukrainian("Your link to the data we hold about you")
    assert link_email["Reply-To"] == "leeds@x.org"
    assert link_email["List-Unsubscribe"] is None  # always sent
    text = link_email.get_body(("plain",))
    html = link_email.get_body(("html",))
    assert text is not None
    assert html is not None
    found = re.search(rf"{re.escape(config.public_base_url)}/my-data/(\S+)", text.get_content())
    assert found is not None
    token = found.group(1)
    assert data_link_id(SECRET, token) == theirs.link_id
    assert f'href="{config.public_base_url}/my-data/{token}"' in html.get_content()
