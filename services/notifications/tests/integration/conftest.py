"""Fixtures of notifications' integration tests that mail a real SMTP sink."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mailing import LEEDS, SECRET
from notifications.bootstrap import bootstrap
from notifications.config import NotificationsConfig
from sanctuary.runtime import Service
from sanctuary_dev import mailsink
from sanctuary_dev.messages import apply, group_created


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real SMTP server that saves what it receives; yields (port, folder)."""
    controller = mailsink.start(tmp_path / "mail")
    yield controller.port, tmp_path / "mail"
    controller.stop()


@pytest.fixture
def leeds_mailing(make_service: Callable[..., Service], sink: tuple[int, Path]) -> Service:
    """Notifications mailing the sink, with LINK_SECRET `SECRET`; it knows the network's
    group and Leeds (`LEEDS`)."""
    service = make_service(
        bootstrap,
        "notifications",
        NotificationsConfig,
        smtp_host="127.0.0.1",
        smtp_port=sink[0],
        link_secret=SECRET,
    )
    leeds = group_created(
        group_id=LEEDS, slug="leeds", name="Leeds", network=False, contact="leeds@x.org"
    )
    apply(service, group_created(), leeds)
    return service
