"""One handler per message type matching consumes; routed by HANDLERS at the bottom."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sanctuary.contracts import (
    DetailsChanged,
    NewcomerRequested,
    TrainingCompleted,
    VolunteerSignedUp,
)
from sanctuary.fields import postcode_district
from sanctuary.unit_of_work import Handler, UnitOfWork
from sanctuary.vocabulary import Check, CheckOutcome, MatchingMeasure

from matching import domain
from matching.adapters.models import Newcomer, Volunteer
from matching.service_layer import coordination, corrections, impact


def on_volunteer_signed_up(event: VolunteerSignedUp, uow: UnitOfWork) -> None:
    """Record the new volunteer as applied and announce volunteer.registered."""
    if uow.session.get(Volunteer, event.volunteer_id) is not None:
        return  # the same sign-up under another message id: already recorded and announced
    uow.session.add(
        Volunteer(
            id=event.volunteer_id,
            name=event.name,
            email=event.email,
            postcode=event.postcode,
            district=postcode_district(event.postcode),
            languages=list(event.languages),
            availability=[list(slot) for slot in event.availability],
            interests=list(event.interests),
            gender=event.gender,
            same_gender_only=event.same_gender_only,
            max_matches=event.max_matches,
            dbs=CheckOutcome.HELD if event.has_dbs else CheckOutcome.NONE,
            status=domain.INITIAL_STATUS,
            group_id=event.group_id,
            consented_at=event.consented_at,
            special_consent_at=event.special_consent_at,
            special_consent_version=event.special_consent_version,
            registered_at=datetime.now(UTC),
        )
    )
    impact.count(
        uow.session, datetime.now(UTC), event.group_id, impact.VOLUNTEER, MatchingMeasure.SIGNED_UP
    )
    uow.publish(domain.registration(event))


def on_newcomer_requested(event: NewcomerRequested, uow: UnitOfWork) -> None:
    """Put the newcomer on the waiting list for the next matching run."""
    if uow.session.get(Newcomer, event.newcomer_id) is not None:
        return  # the same request under another message id
    uow.session.add(
        Newcomer(
            id=event.newcomer_id,
            name=event.name,
            email=event.email,
            referrer_email=event.referrer_email,
            phone=event.phone,
            postcode=event.postcode,
            district=postcode_district(event.postcode),
            languages=list(event.languages),
            wants_english_practice=event.wants_english_practice,
            needs=list(event.needs),
            interests=list(event.interests),
            availability=[list(slot) for slot in event.availability],
            gender=event.gender,
            same_gender_only=event.same_gender_only,
            needs_dbs=event.needs_dbs,
            status=domain.NEWCOMER_WAITING,
            group_id=event.group_id,
            consented_at=event.consented_at,
            special_consent_at=event.special_consent_at,
            special_consent_version=event.special_consent_version,
            registered_at=datetime.now(UTC),
        )
    )
    impact.count(
        uow.session, datetime.now(UTC), event.group_id, impact.NEWCOMER, MatchingMeasure.REQUESTED
    )


log = logging.getLogger(__name__)


class VolunteerNotYetKnown(Exception):
    """A fact about a volunteer arrived before their sign-up: retried until it lands."""


def on_training_completed(event: TrainingCompleted, uow: UnitOfWork) -> None:
    """Safeguarding training attended: the volunteer's training check completes, or is
    renewed."""
    if event.topic != "safeguarding" or event.volunteer_id is None:
        return  # other training, or someone who is not a volunteer
    volunteer = uow.session.get(Volunteer, event.volunteer_id)
    if volunteer is None:
        raise VolunteerNotYetKnown(str(event.volunteer_id))  # transient: the delay queues defer it
    if not event.email or event.email.lower() != volunteer.email.lower():
        log.warning(
            "training attendance not credited: the registration is not the volunteer's",
            extra={"volunteer_id": str(volunteer.id), "message_id": uow.message_id},
        )
        return
    # Also for someone trained already: a refresher dates their training afresh (ADR 44).
    coordination.record_checks(uow, volunteer.id, {Check.TRAINING: CheckOutcome.COMPLETED})


HANDLERS: dict[str, Handler] = {
    VolunteerSignedUp.TYPE: on_volunteer_signed_up,
    NewcomerRequested.TYPE: on_newcomer_requested,
    TrainingCompleted.TYPE: on_training_completed,
    DetailsChanged.TYPE: corrections.on_details_changed,
}
