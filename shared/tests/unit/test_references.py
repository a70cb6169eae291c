"""References: short, read out over the phone, typed back any way a person may."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sanctuary import references

SOME_ID = uuid.UUID("a3f0c2d1-5b6e-4f70-8a9b-0c1d2e3f4a5b")


def test_a_reference_is_two_groups_of_four_from_crockfords_alphabet() -> None:
    made = references.of(SOME_ID)
    assert made == "MFRC-5MAV"
    assert made[4] == "-"
    assert not set(made.replace("-", "")) & set("ILOU")


@given(st.uuids(version=4))
def test_every_id_is_found_by_its_reference(record_id: uuid.UUID) -> None:
    value = references.prefix(references.of(record_id))
    assert value is not None
    low, high = references.id_range(value)
    assert low <= record_id <= high
    assert high.int - low.int == 2**88 - 1  # the 88 bits the reference leaves out


@pytest.mark.parametrize("typed", ["MFRC-5MAV", "mfrc5mav", " mfrc 5mav ", "Mfrc - 5maV"])
def test_a_reference_is_read_back_however_it_is_typed(typed: str) -> None:
    assert references.prefix(typed) == references.prefix("MFRC-5MAV")


def test_letters_that_look_like_digits_read_as_them() -> None:
    """O for 0, I and L for 1: what a person hears or misreads."""
    zero_one = references.prefix("0000-0001")
    assert references.prefix("OOOO-OOOI") == zero_one
    assert references.prefix("oooo-oool") == zero_one


@pytest.mark.parametrize("bad", ["", "MFRC-5MA", "MFRC-5MAVX", "MFRC-5MAU", "MFRC/5MAV", "é" * 8])
def test_what_is_not_a_reference_is_none(bad: str) -> None:
    assert references.prefix(bad) is None
