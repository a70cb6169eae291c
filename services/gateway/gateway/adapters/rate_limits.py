"""Flask-Limiter's counters in the gateway's own database, when no Redis is given (ADR 32):
every web process of the gateway shares them, and no restart forgets them (`make run`
included, which has no Redis). A `limits` storage for its fixed-window strategy; one upsert
a hit, atomic on PostgreSQL and SQLite alike."""

from __future__ import annotations

import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import Engine, case, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from gateway.adapters.models import RateLimitCounter

SCHEME = "gateway-database"
_TABLE = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    """`storage_uri="gateway-database://"`, `storage_options={"engine": engine}`."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine: Engine = options["engine"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        new = insert(_TABLE).values(key=key, count=amount, expires_at=now + expiry)
        expired = _TABLE.c.expires_at <= now  # every SET below reads the row as it was
        upsert = new.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={
                "count": case((expired, new.excluded.count), else_=_TABLE.c.count + amount),
                "expires_at": case((expired, new.excluded.expires_at), else_=_TABLE.c.expires_at),
            },
        ).returning(_TABLE.c.count)
        with self.engine.begin() as connection:
            return int(connection.execute(upsert).scalar_one())

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(_TABLE.c.count).where(_TABLE.c.key == key, _TABLE.c.expires_at > time.time())
            ).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expires = connection.execute(
                select(_TABLE.c.expires_at).where(_TABLE.c.key == key)
            ).scalar()
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return int(connection.execute(delete(_TABLE)).rowcount or 0)

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))


def prune(engine: Engine) -> int:
    """Delete the windows that have ended (housekeeping): how many."""
    with engine.begin() as connection:
        gone = connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= time.time()))
    return int(gone.rowcount or 0)
