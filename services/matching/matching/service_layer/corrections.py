"""A person's own changes from their data page (ADR 0027): corrected details (UK GDPR Art.
16), a pause (Art. 18) and the special-category consent withdrawn (Art. 9, ADR 0029). Applied
to every row of theirs that is not erased; a paused volunteer is not proposed and a paused
newcomer's request waits (service_layer.population)."""

from __future__ import annotations

import logging

from sanctuary.contracts import DetailsChanged
from sanctuary.fields import postcode_district
from sanctuary.unit_of_work import UnitOfWork
from sanctuary.vocabulary import NewcomerStatus, VolunteerStatus
from sqlalchemy import select

from matching.adapters.models import Newcomer, Volunteer

log = logging.getLogger(__name__)
ERASED = (VolunteerStatus.ERASED, NewcomerStatus.ERASED)


def on_details_changed(change: DetailsChanged, uow: UnitOfWork) -> None:
    """Apply the change to the person's volunteer and newcomer rows."""
    rows: list[Volunteer | Newcomer] = [
        *uow.session.scalars(select(Volunteer).where(Volunteer.id.in_(change.volunteer_ids))),
        *uow.session.scalars(select(Newcomer).where(Newcomer.id.in_(change.newcomer_ids))),
    ]
    changed = 0
    for row in rows:
        if row.status not in ERASED:
            _apply(row, change)
            changed += 1
    log.info(
        "details changed",
        extra={"change_id": str(change.change_id), "rows": changed, "paused": change.paused},
    )


def _apply(row: Volunteer | Newcomer, change: DetailsChanged) -> None:
    if change.name is not None:
        row.name = change.name
    if change.postcode is not None:
        row.postcode, row.district = change.postcode, postcode_district(change.postcode)
    if change.languages is not None:
        row.languages = list(change.languages)
    if change.availability is not None:
        row.availability = [list(slot) for slot in change.availability]
    if change.special_consent is False:
        withdraw_special(row)
    if change.paused is True and row.paused_at is None:
        row.paused_at = change.changed_at
    elif change.paused is False:
        row.paused_at = None


def withdraw_special(row: Volunteer | Newcomer) -> None:
    """The consent to use languages, gender and needs is withdrawn: none of them is held any
    more, and the matcher works without them (saying so in its explanations)."""
    row.languages, row.gender, row.same_gender_only = [], None, False
    if isinstance(row, Newcomer):
        row.needs = []
    row.special_consent_at = row.special_consent_version = None
