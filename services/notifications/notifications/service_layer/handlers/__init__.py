"""One handler per message type notifications consumes, routed by HANDLERS at the bottom.

Handlers only plan emails (a pending Delivery, in the inbox transaction); the mailer sends
them. So a failing SMTP server never makes a message fail, and a message never sends twice.
"""

from __future__ import annotations

from sanctuary.contracts import (
    ConcernEscalated,
    ConcernRaised,
    CoordinatorInvited,
    DataLinkRequested,
    DetailsChanged,
    EventCancelled,
    EventReminderDue,
    EventScheduled,
    EventUpdated,
    GroupCreated,
    GroupUpdated,
    NewcomerRequested,
    PersonMoved,
    RegistrationRejected,
    VolunteerCheckLapsed,
    VolunteerCheckRenewalDue,
    VolunteerReadinessChanged,
    VolunteerRegistered,
)
from sanctuary.unit_of_work import Handler

from notifications import domain
from notifications.service_layer.handlers.corrections import on_details_changed
from notifications.service_layer.handlers.events import (
    on_event_cancelled,
    on_event_scheduled,
    on_event_updated,
    on_registration_changed,
    on_registration_rejected,
    on_reminder_due,
)
from notifications.service_layer.handlers.groups import (
    on_coordinator_invited,
    on_group_changed,
    on_person_moved,
)
from notifications.service_layer.handlers.my_data import on_data_link_requested
from notifications.service_layer.handlers.people import (
    MATCH_EMAILS,
    on_check_running_out,
    on_concern,
    on_match_changed,
    on_newcomer_requested,
    on_readiness_changed,
    on_volunteer_registered,
)
from notifications.service_layer.handlers.planning import plan

__all__ = ["HANDLERS", "plan"]

HANDLERS: dict[str, Handler] = {
    GroupCreated.TYPE: on_group_changed,
    GroupUpdated.TYPE: on_group_changed,
    PersonMoved.TYPE: on_person_moved,
    CoordinatorInvited.TYPE: on_coordinator_invited,
    VolunteerRegistered.TYPE: on_volunteer_registered,
    VolunteerReadinessChanged.TYPE: on_readiness_changed,
    VolunteerCheckRenewalDue.TYPE: on_check_running_out,
    VolunteerCheckLapsed.TYPE: on_check_running_out,
    ConcernRaised.TYPE: on_concern,
    ConcernEscalated.TYPE: on_concern,
    NewcomerRequested.TYPE: on_newcomer_requested,
    EventScheduled.TYPE: on_event_scheduled,
    EventUpdated.TYPE: on_event_updated,
    EventCancelled.TYPE: on_event_cancelled,
    EventReminderDue.TYPE: on_reminder_due,
    DataLinkRequested.TYPE: on_data_link_requested,
    DetailsChanged.TYPE: on_details_changed,
    **{t: on_registration_changed(t) for t in domain.REGISTRATION_EMAILS},
    RegistrationRejected.TYPE: on_registration_rejected,
    **{t: on_match_changed(t) for t in MATCH_EMAILS},
}
