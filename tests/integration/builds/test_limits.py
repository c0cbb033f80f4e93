"""Project build limits held to the operator's caps, and the admission of arch builds under a
project's `concurrent_builds`, on the database under test."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select

from olivine.builds import host, records
from olivine.builds import limits as build_limits
from olivine.builds.volume import DiskCap
from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package
from olivine.projects.schema import BuildLimits
from olivine.projects.service import ProjectService

from .conftest import project

CAPS = host.Caps(
    time_max=7200,
    time_default=3600,
    concurrent_max=4,
    memory_max=8 << 30,
    memory_default=2 << 30,
    pids_max=2048,
    pids_default=1024,
    disk=DiskCap(1024, 50_000),
)


def test_project_limits_are_held_to_the_operator_caps() -> None:
    asked = BuildLimits.model_validate(
        {"build_time": "3h", "memory": "32G", "pids": 512, "concurrent_builds": 2, "disk": "512M"}
    )
    eff = build_limits.effective(asked, CAPS)
    assert eff.limits.time_limit == 7200  # 3h asked, 2h cap
    assert eff.limits.resources is not None
    assert eff.limits.resources.memory == 8 << 30 and eff.limits.resources.pids == 512
    assert eff.limits.disk == DiskCap(512, 50_000)
    assert eff.concurrent == 2
    assert len(eff.notes) == 2 and "limits.memory" in eff.notes[1]
    default = build_limits.effective(BuildLimits(), CAPS)
    assert default.limits.time_limit == 3600 and default.concurrent == 4
    assert default.limits.resources is not None and default.limits.resources.memory == 2 << 30
    assert default.notes == ()


def _builds(db: Database, n: int) -> tuple[int, list[int]]:
    name = f"lim-{uuid.uuid4().hex[:6]}"
    pf = project(name=name, packages=[{"name": f"p{i}"} for i in range(n)])
    applied = ProjectService(db).apply(pf, None)
    out = []
    for i in range(n):
        with db.session() as s:
            pkg = s.scalar(select(Package).where(Package.name == f"p{i}"))
            assert pkg is not None
            rev = ImportRevision(
                project_id=applied.project_id,
                package_id=pkg.id,
                upstream_kind="dist-git",
                upstream_url="file:///u",
                forge_repo=f"{name}/rpms/p{i}",
                forge_branch="main",
                forge_commit=uuid.uuid4().hex,
                forge_tag=f"imports/main/p{i}-1.0-1",
                version="1.0",
                release="1",
            )
            s.add(rev)
            s.flush()
            rev_id = rev.id
        out.append(records.create_build(db, rev_id))
    return applied.project_id, out


def test_an_arch_build_beyond_concurrent_builds_waits_its_turn(
    db: Database, tmp_path: Path
) -> None:
    project_id, (first, second) = _builds(db, 2)
    for b in (first, second):
        records.record_arch(db, b, "x86_64", "building")
    log: list[str] = []
    assert build_limits.wait_for_turn(db, project_id, first, "x86_64", 1, log.append, None)
    polls = [0]

    def cancel_after_two() -> bool:
        polls[0] += 1
        return polls[0] > 2

    waited = build_limits.wait_for_turn(
        db, project_id, second, "x86_64", 1, log.append, cancel_after_two, poll=0.1
    )
    assert not waited
    assert log == ["waiting: 1 builds of this project are running (limits.concurrent_builds 1)"]
    assert build_limits.wait_for_turn(db, project_id, second, "x86_64", 2, log.append, None)
    records.record_arch(db, first, "x86_64", "complete")
    assert build_limits.wait_for_turn(db, project_id, second, "x86_64", 1, log.append, None)


def test_a_canceled_build_whose_arch_row_says_building_takes_no_turn(db: Database) -> None:
    """Builds that ended (complete, failed, canceled) hold no turn, whatever their arch rows
    still say."""
    project_id, (first, second) = _builds(db, 2)
    for b in (first, second):
        records.record_arch(db, b, "x86_64", "building")
    records.finish_build(db, first, "canceled", "canceled")
    assert build_limits.wait_for_turn(db, project_id, second, "x86_64", 1, print, lambda: True)
