"""What notifications' mailing integration tests share: the link secret and Leeds' id that
their `leeds_mailing` fixture (integration/conftest.py) sets up."""

from __future__ import annotations

import uuid

SECRET = "test-events-link-secret"
LEEDS = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
