"""Builds as the pages show them: each with the state of every arch, its build roots and the
RPMs it brought into the project."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Artifact, Build, BuildRoot, ProjectArtifact, Task


def nevr(epoch: int | None, version: str | None, release: str | None) -> str:
    if not version:
        return ""
    return f"{epoch}:{version}-{release}" if epoch else f"{version}-{release}"


@dataclass(frozen=True)
class BuildLine:
    id: int
    status: str
    nevr: str
    reason: str | None
    task_id: int | None
    scratch: bool
    created_at: datetime
    finished_at: datetime | None
    arches: dict[str, str]  # arch -> status of its arch build
    import_revision_id: int
    submitter_id: int | None = None
    roots: list[BuildRoot] = field(default_factory=list)
    rpms: list[str] = field(default_factory=list)


def _arch_states(s: Session, builds: list[Build]) -> dict[int, dict[str, str]]:
    """Per build: the status of each arch, from its build roots, else its arch-build subtasks,
    else (before either exists) the build's own status for each planned arch."""
    task_ids = [b.task_id for b in builds if b.task_id]
    by_task: dict[int, dict[str, str]] = defaultdict(dict)
    if task_ids:
        q = select(Task.parent_id, Task.arch, Task.status).where(
            Task.parent_id.in_(task_ids), Task.arch.is_not(None)
        )
        for parent, arch, status in s.execute(q):
            by_task[parent or 0][arch or ""] = status
    roots: dict[int, dict[str, str]] = defaultdict(dict)
    if builds:
        rq = select(BuildRoot.build_id, BuildRoot.arch, BuildRoot.status).where(
            BuildRoot.build_id.in_([b.id for b in builds])
        )
        for build_id, arch, status in s.execute(rq):
            roots[build_id][arch] = status
    out: dict[int, dict[str, str]] = {}
    for b in builds:
        by_task[b.task_id or -1] = {**by_task.get(b.task_id or -1, {}), **roots.get(b.id, {})}
        states = dict(by_task.get(b.task_id or -1, {}))
        for arch in b.arches or []:
            states.setdefault(str(arch), b.status)
        out[b.id] = dict(sorted(states.items()))
    return out


def build_lines(s: Session, builds: list[Build]) -> list[BuildLine]:
    states = _arch_states(s, builds)
    return [
        BuildLine(
            b.id,
            b.status,
            nevr(b.epoch, b.version, b.release),
            b.reason,
            b.task_id,
            b.scratch,
            b.created_at,
            b.finished_at,
            states[b.id],
            b.import_revision_id,
            b.submitter_id,
        )
        for b in builds
    ]


def _latest(
    s: Session, model: Any, project_id: int, package_ids: list[int], *where: Any
) -> dict[int, Any]:
    if not package_ids:
        return {}
    newest = (
        select(func.max(model.id))
        .where(model.project_id == project_id, model.package_id.in_(package_ids), *where)
        .group_by(model.package_id)
    )
    return {r.package_id: r for r in s.scalars(select(model).where(model.id.in_(newest)))}


def latest_builds(db: Database, project_id: int, package_ids: list[int]) -> dict[int, BuildLine]:
    """Per package: its newest build that is not scratch."""
    with db.session() as s:
        builds = _latest(s, Build, project_id, package_ids, Build.scratch.is_(False))
        lines = {b.id: b for b in build_lines(s, list(builds.values()))}
        return {pkg: lines[b.id] for pkg, b in builds.items()}


def package_builds(
    db: Database, project_id: int, package_id: int, limit: int = 50
) -> list[BuildLine]:
    """A package's builds, newest first, with their build roots and RPMs."""
    with db.session() as s:
        builds = list(
            s.scalars(
                select(Build)
                .where(Build.project_id == project_id, Build.package_id == package_id)
                .order_by(Build.id.desc())
                .limit(limit)
            )
        )
        lines = build_lines(s, builds)
        ids = [b.id for b in builds]
        roots: dict[int, list[BuildRoot]] = defaultdict(list)
        rpms: dict[int, list[str]] = defaultdict(list)
        if ids:
            for r in s.scalars(
                select(BuildRoot).where(BuildRoot.build_id.in_(ids)).order_by(BuildRoot.arch)
            ):
                roots[r.build_id].append(r)
            q = (
                select(ProjectArtifact.build_id, Artifact.filename)
                .join(Artifact, Artifact.id == ProjectArtifact.artifact_id)
                .where(ProjectArtifact.build_id.in_(ids))
                .order_by(Artifact.filename)
            )
            for bid, filename in s.execute(q):
                rpms[bid or 0].append(filename)
        s.expunge_all()
    return [replace(b, roots=roots[b.id], rpms=rpms[b.id]) for b in lines]


def build_of_task(db: Database, task_id: int) -> Build | None:
    with db.session() as s:
        b = s.scalar(select(Build).where(Build.task_id == task_id))
        if b is not None:
            s.expunge(b)
        return b
