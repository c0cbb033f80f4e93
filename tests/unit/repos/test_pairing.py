"""Held heads and their signed move (repos.pairing.activate_paired): nothing is served before
the move; the move records one switch per head it moves, in the same transaction."""

from __future__ import annotations

import time

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import RepositoryHead
from olivine.db.models.signing import RepomdSwitch
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.pairing import activate_paired, recent_switches
from olivine.repos.publish import publish_project
from olivine.storage.fs import FsStore
from tests.unit.repos.helpers import make_project, pulp_rpms


def _heads(db: Database) -> dict[tuple[int, str], int]:
    with db.session() as s:
        rows = s.execute(
            select(RepositoryHead.repository_id, RepositoryHead.arch, RepositoryHead.revision_id)
        )
        return {(r, a): rev for r, a, rev in rows}


def test_held_revisions_are_served_only_once_moved_and_each_move_is_a_switch(
    db: Database, fs_store: FsStore
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    rpms = pulp_rpms()
    for p in rpms[:-1]:
        ingest_rpm(db, fs_store, p, pid)
    first = publish_project(db, fs_store, pid)
    before = _heads(db)
    assert set(before.values()) == {r.revision_id for r in first.revisions}

    new = ingest_rpm(db, fs_store, rpms[-1], pid)
    held = publish_project(db, fs_store, pid, changed=[new.artifact_id], hold_heads=True)
    ids = [r.revision_id for r in held.revisions]
    assert len(ids) == 2 and _heads(db) == before  # BaseOS and all: made, not served

    started = time.time()
    activate_paired(db, ids)
    after = _heads(db)
    moved = {k for k in after if after[k] != before.get(k)}
    assert {after[k] for k in moved} == set(ids)
    with db.session() as s:
        switches = s.scalars(select(RepomdSwitch)).all()
        assert {(sw.from_revision_id, sw.to_revision_id) for sw in switches} == {
            (before[k], after[k]) for k in moved
        }
        assert all(sw.moved_at >= started for sw in switches)
        repo, arch = next(iter(moved))
        recent = recent_switches(s, repo, arch, started - 1)
        assert [sw.to_revision_id for sw in recent] == [after[(repo, arch)]]

    activate_paired(db, ids)  # the heads are there already: no new switch
    with db.session() as s:
        assert len(s.scalars(select(RepomdSwitch)).all()) == 2
