"""Structured logs: one JSON object a line on stderr, carrying message_id and correlation_id.

Never pass a person's name, email or phone number to a logger: ids are enough to trace.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from sanctuary import redact

# Attributes of a LogRecord that are plumbing, not context worth printing.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON, with every `extra={...}` field at the top level."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        # A backstop: database errors quote the values they refused (a duplicate email, say).
        return redact.emails(json.dumps(entry, default=str))


def configure(service: str, level: str = "INFO") -> None:
    """Send every log record of this process to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kombu and amqp log every reconnect attempt at INFO; keep their warnings only.
    for noisy in ("amqp", "kombu"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
