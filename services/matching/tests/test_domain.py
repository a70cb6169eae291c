"""Matching's pure rules."""

from __future__ import annotations

import uuid

from matching import domain
from sanctuary_dev.messages import signed_up


def test_a_new_volunteer_is_announced_as_applied() -> None:
    """Nobody is ready to be matched before the coordinator's checks."""
    signup = signed_up(name="Amina", email="amina@example.org")
    announced = domain.registration(signup)
    assert announced.volunteer_id == signup.volunteer_id
    assert announced.status == "applied"
    assert (announced.name, announced.email) == ("Amina", "amina@example.org")
    assert announced.locale == "en"  # carried from the sign-up, English unless chosen


def test_the_registration_carries_the_volunteers_local_group() -> None:
    """Whatever group the sign-up named, or none, is announced with the registration."""
    group = uuid.uuid4()
    assert domain.registration(signed_up(group_id=group)).group_id == group
    assert domain.registration(signed_up()).group_id is None
