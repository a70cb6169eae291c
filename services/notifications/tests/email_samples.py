"""Every email the service sends, planned from sample facts by the real rules in `domain`:
for the sample renderings in docs/emails.md (scripts/email-samples) and for the tests that
render and send each one in each language. Sample people only; nobody real.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications import domain
from notifications.domain import privacy, safeguarding
from sanctuary import references
from sanctuary.contracts import (
    ConcernEscalated,
    ConcernRaised,
    CoordinatorInvited,
    DataLinkRequested,
    NewcomerRequested,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    VolunteerCheckLapsed,
    VolunteerCheckRenewalDue,
    VolunteerReadinessChanged,
    VolunteerRegistered,
)
from sanctuary.vocabulary import DEFAULT_LOCALE, Check, VolunteerStatus

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
VOLUNTEER = uuid.UUID("00000000-0000-4000-8000-00000000000a")
NEWCOMER = uuid.UUID("00000000-0000-4000-8000-00000000000b")
MATCH = uuid.UUID("00000000-0000-4000-8000-00000000000c")
REGISTRATION = uuid.UUID("00000000-0000-4000-8000-00000000000d")
INVITATION = uuid.UUID("00000000-0000-4000-8000-00000000000f")
ERASURE = uuid.UUID("00000000-0000-4000-8000-000000000010")
DATA_LINK = uuid.UUID("00000000-0000-4000-8000-000000000011")
CONCERN = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
COORDINATOR = "leeds@sanctuary.example"
# Who signs the samples: a local group, or the network's own group for someone no local
# group covers yet.
GROUP = domain.signature("Leeds City of Sanctuary", COORDINATOR, local=True)
NETWORK = domain.signature("Sanctuary Network", "network@sanctuary.example", local=False)
EVENT: dict[str, Any] = {
    "event_id": "00000000-0000-4000-8000-00000000000e",
    "title": "Safeguarding for befrienders",
    "starts_at": STARTS.isoformat(),
    "ends_at": (STARTS + timedelta(hours=2)).isoformat(),
    "timezone": "Europe/London",
    "online_url": "https://meet.example/safeguarding",
    "location": None,
    "sequence": 0,
}


@dataclass(frozen=True)
class Sample:
    """One email as a message would plan it, by the name the docs and tests use."""

    name: str
    email: domain.PlannedEmail
    group: dict[str, Any] = field(default_factory=lambda: GROUP)

    def context(self, cancel_url: str = "https://sanctuary.example/cancel") -> dict[str, Any]:
        """The render context, with the signature planning adds and the link the mailer adds
        when sending."""
        context = {**self.email.context, "locale": self.email.locale, "group": self.group}
        if "registration_id" in context:
            context["cancel_url"] = f"{cancel_url}?registration={context['registration_id']}"
        if "invitation_id" in context:
            invitation = context["invitation_id"]
            context["invitation_url"] = (
                f"https://sanctuary.example/coordinator/invitations/{invitation}/t"
            )
        if "link_id" in context:
            context["my_data_url"] = f"https://sanctuary.example/my-data/{context['link_id']}.t"
        if "match_id" in context:
            concern_page = "https://sanctuary.example/concern?about=match&id="
            context["concern_url"] = concern_page + context["match_id"]
        if "concern_id" in context:
            concern = context["concern_id"]
            context["case_url"] = f"https://sanctuary.example/coordinator/concerns/{concern}"
        return context


def _people(locale: str) -> tuple[domain.Contact, domain.Contact, domain.Contact]:
    return (
        domain.Contact(VOLUNTEER, "volunteer", "Amina Khalid", "amina@example.org", False, locale),
        domain.Contact(NEWCOMER, "newcomer", "Yonas Tesfaye", "yonas@example.org", False, locale),
        domain.Contact(uuid.UUID(int=0), "coordinator", "Coordinator", COORDINATOR, False),
    )


def samples(locale: str = DEFAULT_LOCALE) -> list[Sample]:
    """Every email, with the reader's language `locale` (coordinators read English)."""
    volunteer, newcomer, coordinator = _people(locale)
    person = {"registration_id": REGISTRATION, "event_id": uuid.UUID(EVENT["event_id"])}
    who = {**person, "name": "Olena Kovalenko", "email": "olena@example.org", "locale": locale}
    moved = {**EVENT, "sequence": 1, "starts_at": (STARTS + timedelta(days=1)).isoformat()}
    moved["ends_at"] = (STARTS + timedelta(days=1, hours=2)).isoformat()

    def event(template: str, method: str | None, **extra: Any) -> domain.PlannedEmail:
        name, to = str(who["name"]), str(who["email"])
        return domain.event_email(
            template, method, REGISTRATION, name, to, moved, NOW, locale=locale, **extra
        )

    def registration(message_type: str, fact: Any, **extra: Any) -> domain.PlannedEmail:
        return domain.registration_email(message_type, fact, EVENT, NOW, locale=locale, **extra)

    def match(
        template: str, to: domain.Contact, other: domain.Contact | None, key: str = ""
    ) -> Any:
        return domain.match_email(template, MATCH, to, other, COORDINATOR, key)

    welcome = domain.welcome(
        VolunteerRegistered(
            volunteer_id=VOLUNTEER,
            name="Amina Khalid",
            email="amina@example.org",
            status=VolunteerStatus.APPLIED,
            locale=locale,
        )
    )
    concern, reference = CONCERN, references.of(CONCERN)
    c_raised = ConcernRaised(
        concern_id=concern, reference=reference, urgency="soon", notify=("lead@example.org",)
    )
    c_escalated = ConcernEscalated(
        concern_id=concern, reference=reference, urgency="urgent", notify=("nl@example.org",)
    )
    return [
        Sample("volunteer_welcome", welcome),
        Sample("volunteer_welcome (no local group yet)", welcome, NETWORK),
        Sample(
            "volunteer_readiness (missing)",
            domain.readiness(
                VolunteerReadinessChanged(
                    volunteer_id=VOLUNTEER,
                    status=VolunteerStatus.APPLIED,
                    missing=(Check.REFERENCES, Check.TRAINING),
                ),
                volunteer,
            ),
        ),
        Sample(
            "volunteer_readiness (ready)",
            domain.readiness(
                VolunteerReadinessChanged(
                    volunteer_id=VOLUNTEER, status=VolunteerStatus.READY, missing=()
                ),
                volunteer,
            ),
        ),
        Sample(
            "volunteer_check (DBS, 30 days before)",
            safeguarding.check_email(
                VolunteerCheckRenewalDue(
                    volunteer_id=VOLUNTEER,
                    check=Check.DBS,
                    runs_out=NOW + timedelta(days=30),
                    days=30,
                ),
                volunteer,
            ),
        ),
        Sample(
            "volunteer_check (training ran out)",
            safeguarding.check_email(
                VolunteerCheckLapsed(
                    volunteer_id=VOLUNTEER, check=Check.TRAINING, ran_out=NOW, open_matches=1
                ),
                volunteer,
            ),
        ),
        *(
            Sample(name, email)
            for name, fact in (
                ("concern_waiting (coordinator: a lead)", c_raised),
                ("concern_waiting (coordinator: escalated)", c_escalated),
            )
            for email in safeguarding.concern_emails(fact)
        ),
        Sample("newcomer_request_received", _acknowledgement(locale, False)),
        Sample(
            "newcomer_request_received (referred)",
            _acknowledgement(locale, True),
        ),
        Sample(
            "newcomer_request_received (no local group yet)",
            _acknowledgement(locale, False),
            NETWORK,
        ),
        Sample("match_proposed (coordinator)", match("match_proposed", coordinator, None)),
        Sample("match_introduction (volunteer)", match("match_introduction", volunteer, newcomer)),
        Sample("match_introduction (newcomer)", match("match_introduction", newcomer, volunteer)),
        Sample("match_checkin", match("match_checkin", volunteer, newcomer, "two_weeks")),
        Sample(
            "match_checkin (coordinator)", match("match_checkin", coordinator, None, "three_months")
        ),
        Sample("match_ended", match("match_ended", newcomer, volunteer)),
        Sample(
            "registration_confirmed",
            registration("registration.confirmed", RegistrationConfirmed(**who)),
        ),
        Sample(
            "registration_waitlisted",
            registration(
                "registration.waitlisted", RegistrationWaitlisted(**who, position=3), position=3
            ),
        ),
        Sample(
            "registration_promoted",
            registration("registration.promoted", RegistrationPromoted(**who)),
        ),
        Sample(
            "registration_cancelled",
            registration("registration.cancelled", RegistrationCancelled(**who)),
        ),
        Sample("event_updated", event("event_updated", "REQUEST")),
        Sample("event_cancelled", event("event_cancelled", "CANCEL")),
        Sample("event_reminder (day)", event("event_reminder", None, key="day")),
        Sample("event_reminder (hour)", event("event_reminder", None, key="hour")),
        Sample(
            "coordinator_invitation",
            domain.invitation(
                CoordinatorInvited(
                    invitation_id=INVITATION,
                    name="Ali Hassan",
                    email="ali@example.org",
                    expires_at=NOW + timedelta(hours=72),
                )
            ),
        ),
        Sample(
            "erasure_confirmed",
            privacy.confirmation(
                ERASURE,
                privacy.Reader("amina@example.org", "Amina Yusuf", locale, None, "volunteer"),
                unsubscribed=True,
            ),
        ),
        Sample(
            "my_data_link",
            privacy.data_link(
                DataLinkRequested(
                    link_id=DATA_LINK,
                    email="Amina@Example.org",
                    locale=locale,
                    expires_at=NOW + timedelta(minutes=30),
                ),
                privacy.Holder("Amina Yusuf", None),
            ),
        ),
    ]


def _acknowledgement(locale: str, referred: bool) -> domain.PlannedEmail:
    planned = domain.request_received(_request(locale, referred))
    assert planned is not None  # an address to write to: theirs or their referrer's
    return planned


def _request(locale: str, referred: bool) -> NewcomerRequested:
    return NewcomerRequested(
        newcomer_id=NEWCOMER,
        name="Yonas Tesfaye",
        email=None if referred else "yonas@example.org",
        referrer_email="worker@charity.example" if referred else None,
        postcode="LS6 2BB",
        languages=("ti", "en"),
        wants_english_practice=True,
        needs=(),
        interests=(),
        availability=(("sat", "morning"),),
        gender=None,
        same_gender_only=False,
        needs_dbs=False,
        consented_at=NOW,
        locale=locale,
    )
