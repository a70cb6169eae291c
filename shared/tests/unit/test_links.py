"""The tokens of a person's own links (/my-data and their erasure's status page): each names
its id, only LINK_SECRET makes it, and one kind never opens the other."""

from __future__ import annotations

import uuid

from sanctuary import links


def test_a_data_link_token_names_its_link_and_nothing_else_opens_it() -> None:
    link_id = uuid.uuid4()
    token = links.data_link_token("s3cret", link_id)
    assert token.startswith(f"{link_id}.")
    assert links.data_link_id("s3cret", token) == link_id
    assert links.data_link_id("another secret", token) is None
    assert links.data_link_id("s3cret", token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    other = links.data_link_token("s3cret", uuid.uuid4())
    assert links.data_link_id("s3cret", f"{link_id}.{other.partition('.')[2]}") is None
    assert links.data_link_id("s3cret", "not-a-uuid.x") is None
    assert links.erasure_status_id("s3cret", token) is None  # another purpose


def test_an_erasure_status_token_opens_its_erasure_only() -> None:
    erasure_id = uuid.uuid4()
    token = links.erasure_status_token("s3cret", erasure_id)
    assert links.erasure_status_id("s3cret", token) == erasure_id
    assert links.data_link_id("s3cret", token) is None
