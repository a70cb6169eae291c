"""Whom a coordinator must phone (ADR 0039): a newcomer who gave a phone number and neither
an email nor a support worker's hears nothing by email, so a coordinator calls them: once
when the request arrives (to say it is in, and its reference), and again when a befriender
is approved for them (to introduce them). Pure rules; the times come from the rows."""

from __future__ import annotations

from datetime import datetime

from sanctuary.vocabulary import NewcomerStatus

REQUEST = "request"  # tell them the request is in, and the reference to quote
INTRODUCTION = "introduction"  # tell them who their befriender is and what happens next
# Still someone to call: not closed, not erased.
OPEN = (NewcomerStatus.WAITING, NewcomerStatus.PROPOSED, NewcomerStatus.MATCHED)


EMAIL, REFERRER, PHONE = "email", "referrer", "phone"  # how coordinators reach a newcomer


def reach(email: str | None, referrer_email: str | None) -> str:
    """How they are reached: by their email, else their referrer's, else (the contract
    requires one of the three) by phone."""
    if email:
        return EMAIL
    return REFERRER if referrer_email else PHONE


def by_phone_only(email: str | None, referrer_email: str | None, phone: str | None) -> bool:
    """Whether a phone call is the only way to reach them."""
    return bool(phone) and reach(email, referrer_email) == PHONE


def due(status: str, called_at: datetime | None, approved_at: datetime | None) -> str | None:
    """The call owed to a newcomer reached by phone only, or None: the introduction once a
    befriender was approved after the last call (it says the request arrived too), else the
    first call about the request."""
    if status not in OPEN:
        return None
    if approved_at is not None and (called_at is None or called_at < approved_at):
        return INTRODUCTION
    return REQUEST if called_at is None else None
