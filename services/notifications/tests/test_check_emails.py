"""The emails of a volunteer's dated checks running out (issue 19, ADR 44): one per reminder,
one per lapse, however often the fact comes; in the volunteer's language, signed by their
group; the date in words.

Real: notifications on its own PostgreSQL database, its handlers applied as the worker
applies them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mailing import LEEDS
from notifications.adapters.models import Delivery
from sanctuary import contracts as c
from sanctuary.runtime import Service
from sanctuary_dev.messages import apply, registered
from sqlalchemy import select

RUNS_OUT = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)


def test_each_reminder_and_the_lapse_are_one_email_each_in_the_volunteers_language(
    service: Service,
) -> None:
    volunteer = uuid.uuid4()
    apply(service, registered(volunteer_id=volunteer, email="o@example.org", locale="uk",
                              group_id=LEEDS))  # fmt: skip
    thirty = c.VolunteerCheckRenewalDue(
        volunteer_id=volunteer, check="dbs", runs_out=RUNS_OUT, days=30, group_id=LEEDS
    )
    seven = c.VolunteerCheckRenewalDue(
        volunteer_id=volunteer, check="dbs", runs_out=RUNS_OUT, days=7, group_id=LEEDS
    )
    lapsed = c.VolunteerCheckLapsed(
        volunteer_id=volunteer, check="dbs", ran_out=RUNS_OUT, open_matches=1, group_id=LEEDS
    )
    apply(service, thirty, thirty, seven, lapsed, lapsed)
    with service.sessions() as session:
        emails = session.scalars(
            select(Delivery)
            .where(Delivery.template == "volunteer_check")
            .order_by(Delivery.dedupe_key)
        ).all()
    assert [(e.context["days"], e.context["lapsed"]) for e in emails] == [
        (30, False),
        (7, False),
        (None, True),
    ]
    assert {(e.locale, e.group_id, e.to_address) for e in emails} == {
        ("uk", LEEDS, "o@example.org")
    }
    # The date as Ukrainian writes it (CLDR: a narrow no-break space, then the year mark).
    assert emails[0].context["day"] == "4 березня 2027\u202f\u0440."
