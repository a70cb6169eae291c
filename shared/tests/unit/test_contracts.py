"""Message contracts: checked when published and when consumed."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from sanctuary import contracts, topology
from sanctuary_dev.messages import registered, requested, signed_up


def test_a_message_survives_the_round_trip_through_json() -> None:
    """dump then load gives back an equal frozen dataclass."""
    message = signed_up()
    message_type, body = contracts.dump(message)
    assert message_type == "volunteer.signed_up"
    assert contracts.load(message_type, body) == message


def test_consumers_ignore_fields_they_do_not_know() -> None:
    """A producer may add a field without breaking older consumers."""
    _, body = contracts.dump(registered())
    assert contracts.load("volunteer.registered", {**body, "added_later": 1}) == contracts.load(
        "volunteer.registered", body
    )


def test_a_body_breaking_its_schema_is_refused_on_consume() -> None:
    """The consumer base parks what raises here, naming the field."""
    _, body = contracts.dump(signed_up())
    with pytest.raises(ValidationError) as caught:
        contracts.load("volunteer.signed_up", {**body, "email": "not-an-email"})
    assert "email" in caught.value.messages


@pytest.mark.parametrize(
    ("message_type", "make", "change", "field"),
    [
        # Version 2's phone: a number nobody could have, and a request with no way to reach.
        ("newcomer.requested", "requested", {"phone": "12345"}, "phone"),
        ("newcomer.requested", "requested", {"referrer_email": None}, "email"),
        # Version 2's titles: only in a language of the pages, never empty.
        ("event.scheduled", "scheduled", {"titles": {"fr": "Pique-nique"}}, "titles"),
        ("event.scheduled", "scheduled", {"titles": {"ar": ""}}, "titles"),
    ],
)
def test_the_new_fields_park_a_bad_body_naming_the_field(
    message_type: str, make: str, change: dict[str, object], field: str
) -> None:
    made = requested() if make == "requested" else _scheduled()
    _, body = contracts.dump(made)
    assert contracts.load(message_type, body) == made  # as it is, it loads
    with pytest.raises(ValidationError) as caught:
        contracts.load(message_type, {**body, **change})
    assert field in caught.value.messages


def test_a_phone_only_request_and_a_version_one_body_load() -> None:
    """A phone is enough; a body from before `phone` and `titles` loads with none."""
    _, body = contracts.dump(requested(referrer_email=None, phone="+441134960123"))
    assert contracts.load("newcomer.requested", body).phone == "+441134960123"
    _, old = contracts.dump(requested())
    assert contracts.load("newcomer.requested", {k: v for k, v in old.items() if k != "phone"})
    _, event = contracts.dump(_scheduled())
    event.pop("titles")
    assert contracts.load("event.scheduled", event).titles == {}


def _scheduled() -> object:
    starts = datetime(2030, 6, 15, 10, tzinfo=UTC)
    return contracts.EventScheduled(
        event_id=uuid.uuid4(),
        title="Picnic",
        titles={"ar": "نزهة"},
        kind="social",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/London",
        sequence=0,
        location="Leeds",
    )


def test_a_message_breaking_its_schema_is_refused_on_publish() -> None:
    """The outbox never holds a message its consumers would park."""
    with pytest.raises(ValidationError):
        contracts.dump(signed_up(languages=("not a language code",)))


def test_an_unknown_type_has_no_contract() -> None:
    """Unknown types are a permanent failure, told apart from bad bodies."""
    with pytest.raises(contracts.UnknownMessageType):
        contracts.load("volunteer.exploded", {})


def test_loaded_messages_are_immutable() -> None:
    """Handlers cannot change the fact they were given."""
    message = contracts.load("volunteer.registered", contracts.dump(registered())[1])
    with pytest.raises(AttributeError):
        message.status = "ready"


def test_every_type_is_a_fact_named_thing_dot_past_tense() -> None:
    """Routing keys state what happened (volunteer.signed_up, not volunteer.sign_up), or what
    has come due (match.checkin_due)."""
    for message_type in contracts.MESSAGE_TYPES:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+(ed(_up|_in|_out)?|_due)", message_type), message_type


def test_every_subscribed_type_has_a_contract() -> None:
    """A queue is never bound to a type nobody can read."""
    for types in topology.SUBSCRIPTIONS.values():
        for message_type in types:
            assert message_type in contracts.SCHEMAS


def test_ids_are_uuids_in_the_body() -> None:
    """Ids made at the edge travel as UUID strings."""
    _, body = contracts.dump(registered())
    assert uuid.UUID(body["volunteer_id"])


@pytest.mark.parametrize(
    ("message_type", "body", "field"),
    [
        # Safeguarding's facts (ADR 44, 45): each bad field parks the message, named.
        ("volunteer.check_renewal_due", {"check": "dbs", "days": 45}, "days"),
        ("volunteer.check_renewal_due", {"check": "references", "days": 30}, "check"),
        ("volunteer.check_lapsed", {"check": "dbs", "open_matches": -1}, "open_matches"),
        ("concern.raised", {"urgency": "whenever", "notify": ["a@example.org"]}, "urgency"),
        ("concern.raised", {"urgency": "urgent", "notify": []}, "notify"),
        ("concern.escalated", {"urgency": "urgent", "notify": ["not an address"]}, "notify"),
    ],
)
def test_the_safeguarding_facts_park_a_bad_body_naming_the_field(
    message_type: str, body: dict[str, object], field: str
) -> None:
    when = datetime(2027, 3, 4, 9, tzinfo=UTC).isoformat()
    base = {
        "volunteer_id": str(uuid.uuid4()),
        "concern_id": str(uuid.uuid4()),
        "reference": "K7M4-Q2PX",
        "runs_out": when,
        "ran_out": when,
        "open_matches": 1,
    }
    with pytest.raises(ValidationError) as caught:
        contracts.load(message_type, {**base, **body})
    assert field in caught.value.messages


def test_a_check_that_ran_out_is_a_word_the_checks_and_readiness_facts_carry() -> None:
    """`lapsed` for a dated check, and a DBS check missing again, load (ADR 44)."""
    _, body = contracts.dump(registered())
    checks = {"volunteer_id": body["volunteer_id"], "references": "verified", "screening": "passed",
              "dbs": "lapsed", "training": "lapsed", "status": "applied",
              "previous_status": "ready"}  # fmt: skip
    assert contracts.load("volunteer.checks_recorded", checks).dbs == "lapsed"
    ready = {"volunteer_id": body["volunteer_id"], "status": "applied", "missing": ["dbs"]}
    assert contracts.load("volunteer.readiness_changed", ready).missing == ("dbs",)
    with pytest.raises(ValidationError):
        contracts.load("volunteer.checks_recorded", {**checks, "references": "lapsed"})
