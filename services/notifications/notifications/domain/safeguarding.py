"""Safeguarding's emails: a volunteer's DBS check or safeguarding training running out soon,
or run out (ADR 44: once per reminder and once per lapse, the date in their language); and
to a safeguarding lead, that a concern is waiting (ADR 45)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from babel.dates import format_date
from sanctuary import when
from sanctuary.contracts import (
    ConcernEscalated,
    ConcernRaised,
    VolunteerCheckLapsed,
    VolunteerCheckRenewalDue,
)
from sanctuary.safeguarding_words import ConcernUrgency
from sanctuary.vocabulary import DEFAULT_LOCALE, CheckOutcome
from sanctuary.when import NETWORK_ZONE

from notifications.domain import Contact, PlannedEmail

CHECK_EMAIL = "volunteer_check"


def day_of(moment: datetime, locale: str) -> str:
    """ "4 March 2027", as the reader's language writes a date."""
    babel = when.BABEL_LOCALES.get(locale, when.BABEL_LOCALES[DEFAULT_LOCALE])
    return format_date(moment.astimezone(NETWORK_ZONE).date(), "long", locale=babel)


def check_email(
    fact: VolunteerCheckRenewalDue | VolunteerCheckLapsed, volunteer: Contact
) -> PlannedEmail:
    """The reminder before a check runs out, or the news that it has."""
    if isinstance(fact, VolunteerCheckLapsed):
        lapsed, moment, days = True, fact.ran_out, None
    else:
        lapsed, moment, days = False, fact.runs_out, fact.days
    step = CheckOutcome.LAPSED if lapsed else str(days)
    return PlannedEmail(
        template=CHECK_EMAIL,
        # Once per reminder, once per lapse, for each time the check was recorded.
        dedupe_key=f"{CHECK_EMAIL}:{fact.volunteer_id}:{fact.check}:{moment.date()}:{step}",
        to_address=volunteer.address,
        locale=volunteer.locale,
        context={
            "name": volunteer.name,
            "check": str(fact.check),
            "lapsed": lapsed,
            "day": day_of(moment, volunteer.locale),
            "days": days,
        },
        group_id=volunteer.group_id,
    )


CONCERN_EMAIL = "concern_waiting"


def concern_emails(fact: ConcernRaised | ConcernEscalated) -> list[PlannedEmail]:
    """ "A safeguarding concern is waiting", to each address the gateway named (ADR 45): its
    reference, urgency and a link to the case file; never what it says or whom it is about.
    In English, as the dashboard is; once per address and concern (and once more if it is
    escalated)."""
    escalated = isinstance(fact, ConcernEscalated)
    step = "escalated" if escalated else "raised"
    return [
        PlannedEmail(
            template=CONCERN_EMAIL,
            dedupe_key=f"{CONCERN_EMAIL}:{fact.concern_id}:{step}:{_hashed(address)}",
            to_address=address,
            locale=DEFAULT_LOCALE,
            context={
                "name": "safeguarding lead",  # the fact names addresses, not people
                "concern_id": str(fact.concern_id),
                "reference": fact.reference,
                "urgent": fact.urgency == ConcernUrgency.URGENT,
                "escalated": escalated,
            },
            group_id=fact.group_id,
        )
        for address in fact.notify
    ]


def _hashed(address: str) -> str:
    """An address in a dedupe key, not as itself."""
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]
