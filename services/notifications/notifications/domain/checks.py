"""The email a volunteer gets when their DBS check or safeguarding training runs out soon, or
has run out (ADR 44): once per reminder and once per lapse, the date in their language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sanctuary import when
from sanctuary.contracts import VolunteerCheckLapsed, VolunteerCheckRenewalDue
from sanctuary.vocabulary import DEFAULT_LOCALE, CheckOutcome

from notifications.domain import Contact, PlannedEmail

CHECK_EMAIL = "volunteer_check"
NETWORK_ZONE = ZoneInfo("Europe/London")


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
