"""What notifications' use-case tests share: the service on its own migrated database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from mailing import BASE, EVENT, LEEDS, SECRET
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from sanctuary.contracts import EventScheduled
from sanctuary.migrations import upgrade
from sanctuary.runtime import Service
from sanctuary_dev.messages import apply, group_created


@pytest.fixture
def service(make_database: Callable[[str], str], amqp_url: str) -> Iterator[Service]:
    """Notifications on its own migrated PostgreSQL database, knowing the network's group
    and Leeds, and an event. No worker: the handlers are applied directly (the erasure's
    sweep looks at this test's own vhost, where nothing is queued)."""
    config = NotificationsConfig(
        service="notifications",
        database_url=make_database("notifications"),
        amqp_url=amqp_url,
        link_secret=SECRET,
        internal_token="s3cret",
        public_base_url=BASE,
    )
    wired = bootstrap(config)
    upgrade(wired.migrations, config.database_url, wired.metadata)
    leeds = group_created(
        group_id=LEEDS, slug="leeds", name="Leeds", network=False, contact="leeds@x.org"
    )
    apply(wired, group_created(), leeds)
    starts = datetime.now(UTC) + timedelta(days=7)
    apply(
        wired,
        EventScheduled(
            event_id=EVENT,
            title="Cafe",
            kind="social",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            timezone="Europe/London",
            sequence=0,
            location="Leeds",
        ),
    )
    yield wired
    wired.engine.dispose()
