"""The words of safeguarding concerns (ADR 45), defined once: what a concern is about, its
category and urgency, where its case file stands, what a lead adds to it. Beside
sanctuary.vocabulary, which holds every other word the services share."""

from __future__ import annotations

from enum import StrEnum


class ConcernAbout(StrEnum):
    """What a safeguarding concern is about (ADR 45)."""

    VOLUNTEER = "volunteer"
    NEWCOMER = "newcomer"
    MATCH = "match"
    EVENT = "event"


class ConcernCategory(StrEnum):
    """The kinds of harm a safeguarding policy names (the categories of the Care Act 2014's
    statutory guidance, with those befriending schemes meet most)."""

    PHYSICAL = "physical"
    EMOTIONAL = "emotional"
    SEXUAL = "sexual"
    FINANCIAL = "financial"
    NEGLECT = "neglect"
    EXPLOITATION = "exploitation"  # modern slavery, trafficking, forced work
    DOMESTIC_ABUSE = "domestic_abuse"
    DISCRIMINATION = "discrimination"
    SELF_HARM = "self_harm"
    BOUNDARIES = "boundaries"  # a befriender or a newcomer crossing the scheme's lines
    OTHER = "other"


class ConcernUrgency(StrEnum):
    """How soon a concern needs a lead: urgent ones not acknowledged within an hour go to the
    network's safeguarding lead."""

    URGENT = "urgent"
    SOON = "soon"  # within a working day
    ROUTINE = "routine"


class ConcernStatus(StrEnum):
    """Where a case file stands: it only grows, and closing it takes an outcome."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class ConcernEntryKind(StrEnum):
    """What a lead adds to a case file."""

    ACTION = "action"
    REFERRAL = "referral"  # to the local authority, the police, a GP...: `referred_to` names it
