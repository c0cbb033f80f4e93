"""A build's limits: the project's `limits:` (docs/project-file.md), each held to the operator's
cap (OLIVINE_BUILD_*_MAX), the operator's defaults where the project says nothing; and the
admission of an arch build under the project's `concurrent_builds`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from olivine.builds import host
from olivine.builds.cgroups import Resources
from olivine.builds.interfaces import CancelFn, Limits, LogFn
from olivine.builds.jobs import BuildStatus
from olivine.builds.volume import DiskCap
from olivine.db.base import Database
from olivine.db.models import Build
from olivine.db.models.builds import BuildRoot
from olivine.projects.schema import BuildLimits

_FINAL = tuple(s.value for s in (BuildStatus.COMPLETE, BuildStatus.FAILED, BuildStatus.CANCELED))


@dataclass(frozen=True)
class Effective:
    limits: Limits
    concurrent: int
    notes: tuple[str, ...] = ()  # what the operator's caps changed, for the build log


def _held(name: str, asked: float | None, default: float, cap: float, notes: list[str]) -> float:
    if asked is None:
        return default
    if asked > cap:
        notes.append(f"limits.{name} {asked:g} is above the operator's cap {cap:g}: using the cap")
        return cap
    return asked


def effective(project: BuildLimits, caps: host.Caps | None = None) -> Effective:
    caps = caps or host.current().config.caps
    notes: list[str] = []
    time_limit = _held("build_time", project.build_time, caps.time_default, caps.time_max, notes)
    memory = _held("memory", project.memory, caps.memory_default, caps.memory_max, notes)
    pids = _held("pids", project.pids, caps.pids_default, caps.pids_max, notes)
    disk_cap = caps.disk.size_mb << 20
    disk = _held("disk", project.disk, disk_cap, disk_cap, notes)
    conc = _held(
        "concurrent_builds",
        project.concurrent_builds,
        caps.concurrent_max,
        caps.concurrent_max,
        notes,
    )
    limits = Limits(
        time_limit=time_limit,
        resources=Resources(pids=int(pids), memory=int(memory), cpus=caps.cpus),
        disk=DiskCap(int(disk) >> 20, caps.disk.inodes),
    )
    return Effective(limits, int(conc), tuple(notes))


def _ahead(db: Database, project_id: int, build_id: int, arch: str) -> int:
    """Arch builds of the project running (or admitted earlier) ahead of this one."""
    with db.session() as s:
        mine = s.scalar(
            select(BuildRoot.id).where(BuildRoot.build_id == build_id, BuildRoot.arch == arch)
        )
        q = (
            select(func.count())
            .select_from(BuildRoot)
            .join(Build, Build.id == BuildRoot.build_id)
            .where(
                Build.project_id == project_id,
                Build.status.not_in(_FINAL),
                BuildRoot.status == "building",
                BuildRoot.id < (mine or 0),
            )
        )
        return int(s.scalar(q) or 0)


def wait_for_turn(
    db: Database,
    project_id: int,
    build_id: int,
    arch: str,
    concurrent: int,
    log: LogFn,
    cancelled: CancelFn | None,
    poll: float = 2.0,
) -> bool:
    """Wait until fewer than `concurrent` arch builds of the project run ahead of this one
    (its row is already `building`, so the order is the rows' ids). False when cancelled."""
    said = False
    while (n := _ahead(db, project_id, build_id, arch)) >= concurrent:
        if not said:
            log(
                f"waiting: {n} builds of this project are running (limits.concurrent_builds "
                f"{concurrent})"
            )
            said = True
        deadline = time.monotonic() + poll
        while time.monotonic() < deadline:  # the cancel check heartbeats the activity
            if cancelled is not None and cancelled():
                return False
            time.sleep(0.2)
    return True
