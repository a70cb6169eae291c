"""When the mailer takes its SMTP server as down, and when it probes it (ADR 0033)."""

from __future__ import annotations

import uuid

from notifications.domain.outage import Next, Outage


def test_a_server_that_answers_is_sent_batches() -> None:
    outage = Outage()
    assert outage.next(0.0) is Next.SEND
    assert outage.seconds_to_next(0.0) == 0.0
    assert outage.answered() is False


def test_an_unreachable_server_is_probed_after_1_2_4_s_up_to_the_ceiling() -> None:
    outage = Outage(probe_ceiling=5.0)
    outage.unreachable(100.0)
    assert outage.down
    assert outage.next(100.5) is Next.WAIT
    assert outage.seconds_to_next(100.5) == 0.5
    waits = []
    now = 101.0
    for _ in range(5):
        assert outage.next(now) is Next.PROBE
        outage.unreachable(now)  # the probe failed too
        waits.append(outage.next_probe_at - now)
        now = outage.next_probe_at
    assert waits == [2.0, 4.0, 5.0, 5.0, 5.0]
    assert outage.down_since == 100.0


def test_one_email_refused_again_and_again_is_its_own_trouble_not_the_servers() -> None:
    outage = Outage()
    greylisted = uuid.uuid4()
    for second in range(10):
        assert outage.refused(greylisted, float(second)) is False
    assert outage.next(10.0) is Next.SEND


def test_three_refusals_in_a_row_of_different_emails_mean_the_server_is_down() -> None:
    outage = Outage()
    first, second = uuid.uuid4(), uuid.uuid4()
    assert outage.refused(first, 0.0) is False
    assert outage.refused(first, 0.1) is False
    assert outage.refused(second, 0.2) is True
    assert outage.next(0.3) is Next.WAIT
    assert outage.next(1.2) is Next.PROBE


def test_an_answer_between_refusals_starts_the_count_again() -> None:
    outage = Outage()
    for _ in range(5):
        assert outage.refused(uuid.uuid4(), 0.0) is False
        assert outage.refused(uuid.uuid4(), 0.0) is False
        assert outage.answered() is False
    assert outage.next(0.0) is Next.SEND


def test_the_first_answer_ends_the_outage_once() -> None:
    outage = Outage()
    outage.unreachable(0.0)
    outage.refused(uuid.uuid4(), 1.0)  # a probe refused: the next one waits longer
    assert outage.next_probe_at == 3.0
    assert outage.answered() is True
    assert outage.answered() is False
    assert outage.next(3.0) is Next.SEND
    outage.unreachable(10.0)  # a new outage starts its probes from 1 s again
    assert outage.next_probe_at == 11.0
