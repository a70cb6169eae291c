"""What notifications' tests share: the link secret, Leeds' id and an event's, which the
`leeds_mailing` (integration/conftest.py) and `service` (conftest.py) fixtures set up."""

from __future__ import annotations

import uuid

SECRET = "test-events-link-secret"
BASE = "https://sanctuary.example"  # where the emailed links lead
LEEDS = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
EVENT = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
