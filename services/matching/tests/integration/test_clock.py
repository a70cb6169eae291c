"""The clock's daily run happens in a child process of its own: it proposes as a run from the
API does, once a day, and the clock's long-lived process never holds the solver's libraries
(numpy, OR-Tools: about 35 MiB it would keep all day, issue 17).

Real: PostgreSQL (a private database), the clock started in a fresh Python process as its
`background` process would hold it, the run in the child it spawns."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, time

import pytest
from matching.adapters.models import Match, Outbox
from matching.entrypoints.clock import Clock, RunFailed
from matching.service_layer import coordination
from sanctuary.runtime import Service
from sanctuary.vocabulary import READY_WHEN
from sanctuary_dev.messages import apply, requested, signed_up
from sqlalchemy import select
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration
SLOT = (("sat", "morning"),)

CLOCK = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, time
    from matching.bootstrap import bootstrap
    from matching.entrypoints.clock import Clock

    clock = Clock(bootstrap(), time(0, 0))  # from the environment, as `background` is
    now = datetime.now(UTC)
    clock.tick(now)
    clock.tick(now)  # the same day: no second run
    print(sorted(m for m in ("numpy", "ortools") if m in sys.modules))
    """
)


def test_the_daily_run_proposes_in_a_child_and_leaves_the_clock_light(matching: Service) -> None:
    leeds = uuid.uuid4()  # pairs are made within one local group
    volunteer = signed_up(group_id=leeds, availability=SLOT, languages=("ar",))
    newcomer = requested(group_id=leeds, availability=SLOT, postcode="LS6 2BB", languages=("ar",))
    apply(matching, volunteer, newcomer)
    with matching.unit_of_work() as uow:
        coordination.record_checks(uow, volunteer.volunteer_id, dict(READY_WHEN))

    done = subprocess.run(
        [sys.executable, "-c", CLOCK],
        env={
            **os.environ,
            "MATCHING_DATABASE_URL": matching.config.database_url,
            "AMQP_URL": matching.config.amqp_url,
            # The run needs neither; a process of the service is refused without them.
            "INTERNAL_TOKEN": secrets.token_urlsafe(24),
            "LINK_SECRET": secrets.token_urlsafe(24),
        },
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == "[]"  # the solver never loaded in the clock
    with matching.sessions() as session:
        [match] = session.scalars(select(Match)).all()
        proposed = session.scalars(select(Outbox.type).where(Outbox.type == "match.proposed"))
        assert (match.volunteer_id, match.newcomer_id) == (
            volunteer.volunteer_id,
            newcomer.newcomer_id,
        )
        assert list(proposed) == ["match.proposed"]


def test_a_daily_run_whose_process_fails_is_tried_again_at_the_next_tick(
    matching: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's process cannot reach its database: the clock says so and keeps the day
    unrun, so its next tick (a minute later) runs it; nothing was half-written."""
    url = make_url(matching.config.database_url).set(database="no_such_database_for_a_run")
    monkeypatch.setenv("MATCHING_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("INTERNAL_TOKEN", secrets.token_urlsafe(24))
    monkeypatch.setenv("LINK_SECRET", secrets.token_urlsafe(24))
    clock = Clock(matching, time(0, 0))
    with pytest.raises(RunFailed):
        clock.tick(datetime.now(UTC))
    assert clock.last_run is None
    with matching.sessions() as session:
        assert session.scalars(select(Match)).all() == []
