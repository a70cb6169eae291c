"""A reference a person can read out over the phone: every sign-up, request for a befriender
and request for a place has one, such as `K7M4-Q2PX`.

It is the first 40 bits of the record's id in Crockford's base32 (no I, L, O or U, so nothing
reads as another letter or a word), in two groups of four: every service makes the same one
from the id it already holds, and none stores it. Read back, it is forgiving: any case, with
or without the hyphen or spaces, an O typed for a 0 and an I or L for a 1. Ids are random
(UUID4): among a million records, about one pair shares a reference (n^2 / 2^41), so a lookup
finds every id with that prefix and the caller says when there is more than one.
"""

from __future__ import annotations

import re
import uuid

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
BITS = 5 * LENGTH
_READ = {ch: i for i, ch in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}


def of(record_id: uuid.UUID) -> str:
    """The reference of a record: `K7M4-Q2PX`."""
    prefix = record_id.int >> (128 - BITS)
    chars = "".join(ALPHABET[(prefix >> (5 * i)) & 31] for i in reversed(range(LENGTH)))
    return f"{chars[:4]}-{chars[4:]}"


def prefix(text: str) -> int | None:
    """The 40-bit prefix a reference stands for, as a person may type it; None if it is not
    one (wrong length, or a character Crockford's base32 does not have)."""
    compact = re.sub(r"[\s\-]", "", text).upper()
    if len(compact) != LENGTH or any(ch not in _READ for ch in compact):
        return None
    value = 0
    for ch in compact:
        value = value << 5 | _READ[ch]
    return value


def id_range(value: int) -> tuple[uuid.UUID, uuid.UUID]:
    """The first and last id with this prefix: `BETWEEN` them finds its records (UUIDs sort
    by their bytes in PostgreSQL, and as hex text in SQLite)."""
    shift = 128 - BITS
    return uuid.UUID(int=value << shift), uuid.UUID(int=(value << shift) | ((1 << shift) - 1))
