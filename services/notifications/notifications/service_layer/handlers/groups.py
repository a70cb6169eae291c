"""Local groups: a copy of each group's name and contact, for signing its emails."""

from __future__ import annotations

from sanctuary.contracts import GroupChanged
from sanctuary.unit_of_work import UnitOfWork

from notifications.adapters.models import GroupCopy
from notifications.service_layer.handlers.planning import keep_newest


def on_group_changed(fact: GroupChanged, uow: UnitOfWork) -> None:
    """Keep the group as it now stands; an older version arriving late changes nothing."""
    fields = {
        "name": fact.name,
        "contact": fact.contact,
        "network": fact.network,
        "sequence": fact.sequence,
    }
    keep_newest(uow, GroupCopy, fact.group_id, fields)
