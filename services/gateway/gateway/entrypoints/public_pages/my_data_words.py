"""How the person's own data page words what is held about them and how their erasure is
going: one plain sentence per section of `domain.my_data.summary`, one line per part of the
system, in the reader's language."""

from __future__ import annotations

from typing import Any

from babel.lists import format_list
from flask_babel import gettext
from sanctuary.vocabulary import EmailCategory, ErasureStatus, MatchStatus, RegistrationStatus
from sanctuary.when import BABEL_LOCALES

from gateway.domain import my_data as held
from gateway.entrypoints.public_pages.forms import N_
from gateway.entrypoints.site import language

# Each section's sentence. `%(details)s` lists the details held, `%(items)s` the things
# named, `%(count)s` says how many.
SENTENCES = {
    held.VOLUNTEER: N_("Your volunteer sign-up: %(details)s."),
    held.NEWCOMER: N_("Your request for a befriender: %(details)s."),
    held.MATCHES: N_("Your befriending match with %(name)s (%(status)s)."),
    held.PLACES: N_("Your places at events, with your name and email: %(items)s."),
    held.REMINDERS: N_("Reminders we sent you before events: %(count)s."),
    held.CONTACT: N_("What we need to write to you: %(details)s."),
    held.EMAILS: N_("Emails we sent you: %(count)s."),
    held.NAMED: N_(
        "Emails to the other person in your match that give your first name: %(count)s."
    ),
    held.UNSUBSCRIBED: N_("You asked us not to send you %(items)s."),
    held.MESSAGES: N_(
        "Messages about you between the parts of our system: %(count)s. We delete them "
        "after a few days."
    ),
    held.LINKS: N_(
        "Links to this page that you asked for: %(count)s. We delete each one soon after "
        "it stops working."
    ),
}
NAMED_REFERRALS = N_("The people you asked a befriender for: %(items)s.")
COUNTED_REFERRALS = N_("Requests for a befriender you made for someone you support: %(count)s.")
UNNAMED_MATCH = N_("Your befriending match (%(status)s).")
UNNAMED_EVENT = N_("an event")

DETAILS = {
    "name": N_("name"),
    "email": N_("email"),
    "phone": N_("phone number"),
    "referrer_email": N_("your support worker's email"),
    "postcode": N_("postcode"),
    "languages": N_("languages"),
    "availability": N_("times you are free"),
    "needs": N_("what would help"),
    "interests": N_("what you enjoy"),
    "gender": N_("gender"),
    "checks": N_("the results of your checks"),
    "locale": N_("the language of your emails"),
}
STATUSES = {
    MatchStatus.PROPOSED: N_("suggested, a coordinator is looking at it"),
    MatchStatus.APPROVED: N_("approved, you will be introduced soon"),
    MatchStatus.ACTIVE: N_("active now"),
    MatchStatus.REJECTED: N_("not going ahead"),
    MatchStatus.ENDED: N_("it has ended"),
    held.ATTENDED: N_("attended"),
    RegistrationStatus.CONFIRMED: N_("you have a place"),
    RegistrationStatus.WAITLISTED: N_("on the waiting list"),
    RegistrationStatus.CANCELLED: N_("place cancelled"),
    RegistrationStatus.REJECTED: N_("no place"),
}
CATEGORIES = {"reminders": N_("event reminders"), "checkins": N_("check-in emails")}
# The optional emails, as the boxes of the person's choice say them.
EMAIL_CHOICES = {
    EmailCategory.REMINDERS: N_("Reminders before events you have a place at"),
    EmailCategory.CHECKINS: N_("A coordinator checking in on your befriending match"),
}
# The parts of the system, as the erasure's status page names them.
PARTS = {
    "gateway": N_("This website"),
    "matching": N_("Volunteers, requests for a befriender and matches"),
    "events": N_("Events and places"),
    "notifications": N_("Emails (it sends you the last one)"),
}


def _isolated(name: str) -> str:
    """A name or title as typed, isolated from the sentence's direction (an English title in
    an Arabic sentence keeps its own order, and so does the sentence)."""
    return f"\u2068{name}\u2069"


def _listed(words: list[str]) -> str:
    """Words as a list in the reader's language ("a, b and c")."""
    return format_list(words, locale=BABEL_LOCALES.get(language(), "en_GB")) if words else ""


def _word(table: dict[str, str], key: str) -> str:
    return gettext(table[key]) if key in table else key


def _status(item: held.Item) -> str:
    return _word(STATUSES, item.status)


def sentences(sections: list[held.Section]) -> list[str]:
    """One plain sentence per thing held (one per match)."""
    said: list[str] = []
    for section in sections:
        if section.kind == held.MATCHES:
            said += [_match(item) for item in section.items]
        elif section.kind == held.REFERRALS:
            said.append(_referrals(section))
        else:
            said.append(gettext(SENTENCES[section.kind], **_values(section)))
    return said


def _values(section: held.Section) -> dict[str, Any]:
    unsubscribed = section.kind == held.UNSUBSCRIBED
    items = [_word(CATEGORIES, i.status) if unsubscribed else _place(i) for i in section.items]
    return {
        "details": _listed([_word(DETAILS, d) for d in section.details]),
        "items": _listed(items),
        "count": section.count,
    }


def _place(item: held.Item) -> str:
    title = _isolated(item.name) if item.name else gettext(UNNAMED_EVENT)
    return f"{title} ({_status(item)})"


def _match(item: held.Item) -> str:
    if item.name:
        name = _isolated(item.name)
        return gettext(SENTENCES[held.MATCHES], name=name, status=_status(item))
    return gettext(UNNAMED_MATCH, status=_status(item))


def _referrals(section: held.Section) -> str:
    if section.items:
        names = [_isolated(str(item.name)) for item in section.items]
        return gettext(NAMED_REFERRALS, items=_listed(names))
    return gettext(COUNTED_REFERRALS, count=section.count)


def parts(matrix: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each part of the system, and whether it has finished erasing."""
    return [
        (_word(PARTS, row["service"]), row["status"] == ErasureStatus.DONE)
        for row in matrix["services"]
    ]


def email_choices() -> list[tuple[str, str]]:
    """The optional emails' boxes: (category, label) in the reader's language."""
    return [(str(category), gettext(label)) for category, label in EMAIL_CHOICES.items()]
