"""Blanking personal data that slips into text meant for logs and headers."""

from __future__ import annotations

import re

# Anything shaped like an email address, however it is quoted or bracketed.
_EMAIL = re.compile(r"[^\s<>\"'(),:;\[\]=]+@[^\s<>\"'(),:;\[\]=]+")


def emails(text: str) -> str:
    """`text` with every email address replaced by <email>."""
    return _EMAIL.sub("<email>", text)
