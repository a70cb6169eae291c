"""Sign-in tries counted by (account, client) in the gateway's database (ADR 32): a restart
forgets nothing, and a guesser is slowed down without locking the account's owner out.
The rules are `gateway.domain.throttling`'s."""

from __future__ import annotations

from datetime import datetime

from sanctuary.db import as_utc
from sanctuary.unit_of_work import UnitOfWorkFactory
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.adapters.models import SignInThrottle
from gateway.domain import throttling


def attempt(units: UnitOfWorkFactory, account: str, client: str, now: datetime) -> datetime | None:
    """Count this try as failed before the password is checked, so that guesses sent in
    parallel are all counted: None when it may go on, else when the pair may try next (and
    then nothing is counted)."""
    try:
        with units() as uow:
            return _attempt(uow.session, account, client, now)
    except IntegrityError:  # two first tries at once: the other one made the row; read it
        with units() as uow:
            return _attempt(uow.session, account, client, now)


def _attempt(session: Session, account: str, client: str, now: datetime) -> datetime | None:
    row = session.get(SignInThrottle, (account, client), with_for_update=True)
    if row is None:
        session.add(SignInThrottle(account=account, client=client, failures=1, last_failure_at=now))
        return None
    last = as_utc(row.last_failure_at)
    wait_until = throttling.next_try_at(row.failures, last, now)
    if wait_until is not None:
        return wait_until
    row.failures, row.last_failure_at = throttling.remembered(row.failures, last, now) + 1, now
    return None


def succeeded(units: UnitOfWorkFactory, account: str, client: str) -> None:
    """The right password: this pair starts again from nothing."""
    with units() as uow:
        uow.session.execute(
            delete(SignInThrottle).where(
                SignInThrottle.account == account, SignInThrottle.client == client
            )
        )


def prune(session: Session, now: datetime) -> int:
    """Forget the pairs without a failure for a day (housekeeping): how many."""
    gone = session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at <= now - throttling.FORGET_AFTER
        )
    )
    return int(getattr(gone, "rowcount", 0) or 0)
