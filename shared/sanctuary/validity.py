"""How long a volunteer's dated checks last (ADR 44): a DBS check and safeguarding training,
in days, each a setting (DBS_VALID_DAYS, TRAINING_VALID_DAYS); and when the volunteer is
reminded before one runs out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sanctuary.vocabulary import DATED, Check

# Days before a check runs out when the volunteer is reminded, each once.
REMINDER_DAYS = (60, 30, 7)


@dataclass(frozen=True)
class Validity:
    """How long each dated check lasts, in days."""

    dbs: int = 1095
    training: int = 1095

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Validity:
        from sanctuary.retention import positive

        env = os.environ if env is None else env
        values = {}
        for check in DATED:  # DBS_VALID_DAYS, TRAINING_VALID_DAYS
            name = f"{check.upper()}_VALID_DAYS"
            if env.get(name, "").strip():
                values[check.value] = int(positive(name, env[name], int))
        return cls(**values)

    def runs_out(self, check: Check, since: datetime) -> datetime:
        """When a check recorded at `since` runs out."""
        return since + timedelta(days=getattr(self, check))
