"""Every word the services share, defined once: statuses, kinds, checks, reasons, languages.

Each vocabulary is a `StrEnum`, so a member is its own value wherever a string goes (a
column, a JSON body, a template, a query parameter) and `tests/test_architecture.py` fails on
a vocabulary's value written as a bare string anywhere else in the code. The order of the
members is the order people see them in.
"""

from __future__ import annotations

from enum import StrEnum


class Locale(StrEnum):
    """The languages the pages and emails are written in."""

    EN = "en"
    AR = "ar"
    UK = "uk"


DEFAULT_LOCALE = Locale.EN
RIGHT_TO_LEFT = frozenset({Locale.AR})


class VolunteerStatus(StrEnum):
    """A volunteer's standing: checks under way, ready to be matched, or not to be matched."""

    APPLIED = "applied"
    READY = "ready"
    INACTIVE = "inactive"
    # Anonymised at their request (UK GDPR Art. 17): never listed, counted or matched again.
    ERASED = "erased"


class NewcomerStatus(StrEnum):
    """Where a newcomer's request stands."""

    WAITING = "waiting"
    PROPOSED = "proposed"
    MATCHED = "matched"
    CLOSED = "closed"
    # Anonymised at their request (UK GDPR Art. 17): never listed, counted or matched again.
    ERASED = "erased"


class Check(StrEnum):
    """What a coordinator checks about a volunteer."""

    REFERENCES = "references"
    SCREENING = "screening"
    DBS = "dbs"
    TRAINING = "training"


class CheckOutcome(StrEnum):
    """What a check can show (each check takes some of them: `CHECK_OUTCOMES`)."""

    PENDING = "pending"
    VERIFIED = "verified"
    PASSED = "passed"
    FAILED = "failed"
    NONE = "none"
    HELD = "held"
    COMPLETED = "completed"
    # A DBS check or training that ran out (ADR 44): not ready until it is recorded again.
    LAPSED = "lapsed"


CHECK_OUTCOMES: dict[Check, tuple[CheckOutcome, ...]] = {
    Check.REFERENCES: (CheckOutcome.PENDING, CheckOutcome.VERIFIED),
    Check.SCREENING: (CheckOutcome.PENDING, CheckOutcome.PASSED, CheckOutcome.FAILED),
    Check.DBS: (CheckOutcome.NONE, CheckOutcome.HELD),
    Check.TRAINING: (CheckOutcome.PENDING, CheckOutcome.COMPLETED),
}
# The checks that run out (ADR 44), and the outcome each is dated from; once run out, `lapsed`.
DATED: dict[Check, CheckOutcome] = {
    Check.DBS: CheckOutcome.HELD,
    Check.TRAINING: CheckOutcome.COMPLETED,
}
# What each check must show before a volunteer can be matched, in the order the emails list
# them (DBS is asked for by some newcomers only, so it is not one of them).
READY_WHEN: dict[Check, CheckOutcome] = {
    Check.REFERENCES: CheckOutcome.VERIFIED,
    Check.SCREENING: CheckOutcome.PASSED,
    Check.TRAINING: CheckOutcome.COMPLETED,
}


class MatchStatus(StrEnum):
    """A match's life: proposed by the matcher, decided by a coordinator."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    REJECTED = "rejected"
    ENDED = "ended"


class MatchAction(StrEnum):
    """What a coordinator decides about a match."""

    APPROVE = "approve"
    REJECT = "reject"
    ACTIVATE = "activate"
    END = "end"


class MatchEnding(StrEnum):
    """How a match ended, in the words the impact report counts (its free-text reason stays
    the coordinator's own). `withdrawn`: one of the pair was erased (never chosen by hand)."""

    RAN_ITS_COURSE = (
        "ran_its_course"  # the newcomer is settled; the friendship goes on or ends well
    )
    NEWCOMER_MOVED = "newcomer_moved"  # dispersed, rehoused or moved away
    VOLUNTEER_STEPPED_BACK = "volunteer_stepped_back"
    NEWCOMER_STEPPED_BACK = "newcomer_stepped_back"
    NOT_A_GOOD_FIT = "not_a_good_fit"
    SAFEGUARDING = "safeguarding"
    OTHER = "other"
    WITHDRAWN = "withdrawn"


class EventKind(StrEnum):
    """What a coordinator schedules."""

    SOCIAL = "social"
    TRAINING = "training"
    WEBINAR = "webinar"


class EventStatus(StrEnum):
    """Whether an event still takes place."""

    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SubmissionStatus(StrEnum):
    """What a person sees of their sign-up, request or registration while only the gateway
    has it; the owning service's status after."""

    RECEIVED = "received"


class RegistrationStatus(StrEnum):
    """Where a request for a place stands once the events service has it."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class RejectionReason(StrEnum):
    """Why a request for a place was refused."""

    ALREADY_REGISTERED = "already_registered"
    REGISTRATION_CLOSED = "registration_closed"
    EVENT_CANCELLED = "event_cancelled"
    UNKNOWN_EVENT = "unknown_event"


class DeliveryStatus(StrEnum):
    """An email's state, in the order a coordinator reads them: what needs a look first.
    `sending`: claimed by a mailer that may be mid-conversation, taken again once the claim
    runs out; `suppressed`: not sent, the address unsubscribed from the email's category;
    `erased`: not sent, its reader was erased before it went (the row is anonymised);
    `retrying` is only what coordinators see of a pending email that failed before."""

    FAILED = "failed"
    RETRYING = "retrying"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SUPPRESSED = "suppressed"
    ERASED = "erased"


class MessageOutcome(StrEnum):
    """What became of a message a worker received (the `outcome` label of its metric)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    RETRIED = "retried"
    PARKED = "parked"


class Reminder(StrEnum):
    """When a registrant is reminded of an event: a day before, and an hour before."""

    DAY = "day"
    HOUR = "hour"


class Checkin(StrEnum):
    """When a coordinator checks in with a pair after the approval."""

    TWO_WEEKS = "two_weeks"
    THREE_MONTHS = "three_months"


class EmailCategory(StrEnum):
    """The optional emails a person may stop (RFC 8058 one-click, or their own data page);
    every other email (confirmations, cancellations, introductions) is always sent."""

    REMINDERS = "reminders"
    CHECKINS = "checkins"


class Readiness(StrEnum):
    """What a web process's /readyz answers of itself, and of the broker beside it."""

    READY = "ready"
    OK = "ok"
    UNREACHABLE = "unreachable"


class ErasureStatus(StrEnum):
    """Where an erasure stands: each service's row `pending` until it has erased, then
    `done`; the request `complete` once every row is done (ADR 0025)."""

    PENDING = "pending"
    DONE = "done"
    COMPLETE = "complete"


class PrivacyRight(StrEnum):
    """The right a person exercised (a privacy request's kind)."""

    ERASURE = "erasure"
    ACCESS = "access"
    CORRECTION = "correction"  # they corrected details or chose their emails (Art. 16)
    RESTRICTION = "restriction"  # they paused or resumed (Art. 18)


class EventMeasure(StrEnum):
    """What the events service tallies for the impact report (ADR 42), besides each decision's
    status (a RegistrationStatus)."""

    PROMOTED = "promoted"  # a place given to the first waiting
    CANCELLED_BY_THEM = "cancelled_by_them"  # given up from the email's link
    WITHDRAWN = "withdrawn"  # given up by an erasure
    ATTENDED = "attended"  # marked as there by a coordinator (on the event's day)
    TAKEN = "taken"  # a place held at an event, on the event's day (-1 if given up)
    HELD = "held"  # an event on its day, in its own group (taken back if cancelled)
    PLACES = "places"  # ... and its places


class MatchingKind(StrEnum):
    """What a matching tally is about (ADR 42)."""

    VOLUNTEER = "volunteer"
    NEWCOMER = "newcomer"
    MATCH = "match"


class Standing(StrEnum):
    """How a dated check stands (ADR 44): the dashboard's green, amber and red."""

    VALID = "valid"
    RUNNING_OUT = "running_out"  # within the first reminder's days of running out
    LAPSED = "lapsed"


class MatchingMeasure(StrEnum):
    """What the matching service tallies for the impact report (ADR 42). The two ending in
    `_after` are histograms: the measure is "<word>:<days>" (sanctuary.tallies.after)."""

    SIGNED_UP = "signed_up"  # a volunteer registered
    READY = "ready"  # a volunteer's checks all done
    READY_AFTER = "ready_after"  # ... so many days after signing up
    REQUESTED = "requested"  # a newcomer asked
    PROPOSED = "proposed"  # a run proposed a pair
    APPROVED = "approved"  # a coordinator approved it
    MATCHED_AFTER = "matched_after"  # ... so many days after the newcomer asked
    REJECTED = "rejected"
    ACTIVATED = "activated"  # the pair met
    ENDED = "ended"  # "ended:<MatchEnding>"
    CHECKIN_SENT = "checkin_sent"  # a check-in emailed to the pair
