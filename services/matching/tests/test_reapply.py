"""After a restore from backup (ADR 0028's addendum): `python -m <service> erasures reapply
--since <time>` announces again every erasure of the service's log since then; a database
restored from before them applies them again (tombstones too, so nothing comes back), and
one that has them does nothing. The real command line, on throwaway SQLite files."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matching.adapters.models import Outbox, Tombstone, Volunteer
from matching_harness import SECRET, Matching, matching_on
from sanctuary import cli, contracts
from sanctuary.links import address_hash
from sanctuary.vocabulary import VolunteerStatus
from sanctuary_dev.messages import signed_up
from sqlalchemy import select


def backup(source: Path, target: Path) -> None:
    """A backup of a live SQLite database, as `sqlite3 .backup` takes one."""
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def announced_again(matching: Matching) -> list[contracts.ErasureRequested]:
    with matching.service.sessions() as session:
        rows = session.scalars(select(Outbox).where(Outbox.type == "person.erasure_requested"))
        return [contracts.load(r.type, json.loads(r.body)) for r in rows]


def test_a_restored_database_erases_again_whoever_was_erased_since_its_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "live").mkdir()
    (tmp_path / "restored").mkdir()
    signup = signed_up(name="Amal Haddad", email="amal@example.org")
    other = signed_up(name="Sam Smith", email="sam@example.org")
    with matching_on(tmp_path / "live") as live:
        live.apply(signup)
        live.apply(other)
        backup(tmp_path / "live" / "matching.db", tmp_path / "restored" / "matching.db")
        backup_taken = datetime.now(UTC)
        erasure = contracts.ErasureRequested(
            erasure_id=uuid.uuid4(),
            subject=address_hash(SECRET, "amal@example.org"),
            volunteer_ids=(signup.volunteer_id,),
            requested_at=datetime.now(UTC),
        )
        live.apply(erasure)
        since = (backup_taken - timedelta(seconds=1)).isoformat()
        assert cli.main(lambda: live.service, ["erasures", "reapply", "--since", since]) == 0
        [again] = announced_again(live)
        assert "1 erasure(s)" in capsys.readouterr().err
        assert (again.erasure_id, again.subject, again.requested_at) == (
            erasure.erasure_id,
            erasure.subject,
            erasure.requested_at,
        )
        assert (again.ids, again.confirm) == ((signup.volunteer_id,), False)
        assert live.apply(again) == []  # in its log: nothing happens twice
        later = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        cli.main(lambda: live.service, ["erasures", "reapply", "--since", later])
        assert len(announced_again(live)) == 1  # nothing since then

    with matching_on(tmp_path / "restored") as restored:
        assert restored.get(Volunteer, signup.volunteer_id).name == "Amal Haddad"
        published = restored.apply(again)
        assert restored.get(Volunteer, signup.volunteer_id).status == VolunteerStatus.ERASED
        assert restored.get(Volunteer, other.volunteer_id).name == "Sam Smith"
        assert [type(m).__name__ for m in published] == ["PersonErased"]
        with restored.service.sessions() as session:
            assert session.get(Tombstone, str(signup.volunteer_id)) is not None
        # A copy of the old sign-up replayed afterwards brings nothing back.
        restored.apply(signup)
        assert restored.get(Volunteer, signup.volunteer_id).status == VolunteerStatus.ERASED


def test_a_time_that_is_not_iso_is_refused(tmp_path: Path) -> None:
    with matching_on(tmp_path) as matching, pytest.raises(SystemExit):
        cli.main(lambda: matching.service, ["erasures", "reapply", "--since", "last week"])
