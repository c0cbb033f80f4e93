"""What the pages show, read straight from the tables (so pages for imports, builds, batches and
repositories work as soon as those tables are filled, whoever fills them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import (
    Artifact,
    Build,
    BuildRoot,
    ImportRevision,
    Package,
    PackageVersion,
    ProjectArtifact,
    ProjectPackage,
    Repository,
    RepositoryRevision,
    Task,
    User,
)


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
    roots: list[BuildRoot] = field(default_factory=list)
    rpms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PackageLine:
    name: str
    active: bool
    latest_import: ImportRevision | None
    latest_build: BuildLine | None
    repos: list[str]


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


def _build_lines(s: Session, builds: list[Build]) -> list[BuildLine]:
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
        )
        for b in builds
    ]


def repo_members(s: Session, project_id: int) -> dict[str, list[str] | None]:
    """Repository name -> the source packages it is limited to (None: every package)."""
    rows = s.scalars(
        select(Repository)
        .where(Repository.project_id == project_id, Repository.active.is_(True))
        .order_by(Repository.name)
    )
    return {r.name: r.spec.get("packages") for r in rows if r.name != "all"}


def package_lines(
    db: Database, project_id: int, offset: int, limit: int, name_like: str | None
) -> tuple[int, list[PackageLine]]:
    with db.session() as s:
        q = (
            select(Package.id, Package.name, ProjectPackage.active)
            .join(ProjectPackage, ProjectPackage.package_id == Package.id)
            .where(ProjectPackage.project_id == project_id)
        )
        if name_like:
            q = q.where(Package.name.like(name_like.replace("*", "%")))
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = s.execute(q.order_by(Package.name).offset(offset).limit(limit)).all()
        ids = [r[0] for r in rows]
        imports = _latest(s, ImportRevision, project_id, ids)
        builds = _latest(s, Build, project_id, ids, Build.scratch.is_(False))
        lines = {b.id: b for b in _build_lines(s, list(builds.values()))}
        members = repo_members(s, project_id)
        s.expunge_all()
    out = []
    for pkg_id, name, active in rows:
        b = builds.get(pkg_id)
        repos = [r for r, only in members.items() if only is None or name in only]
        out.append(
            PackageLine(name, active, imports.get(pkg_id), lines.get(b.id) if b else None, repos)
        )
    return total, out


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


@dataclass(frozen=True)
class PackageHistory:
    imports: list[ImportRevision]
    builds: list[BuildLine]
    versions: list[PackageVersion]
    submitters: dict[int, str]


def package_history(
    db: Database, project_id: int, package_id: int, limit: int = 50
) -> PackageHistory:
    with db.session() as s:
        imports = list(
            s.scalars(
                select(ImportRevision)
                .where(
                    ImportRevision.project_id == project_id, ImportRevision.package_id == package_id
                )
                .order_by(ImportRevision.id.desc())
                .limit(limit)
            )
        )
        builds = list(
            s.scalars(
                select(Build)
                .where(Build.project_id == project_id, Build.package_id == package_id)
                .order_by(Build.id.desc())
                .limit(limit)
            )
        )
        lines = _build_lines(s, builds)
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
        lines = [
            BuildLine(**{**b.__dict__, "roots": roots[b.id], "rpms": rpms[b.id]}) for b in lines
        ]
        versions = list(
            s.scalars(
                select(PackageVersion)
                .where(
                    PackageVersion.project_id == project_id, PackageVersion.package_id == package_id
                )
                .order_by(PackageVersion.id.desc())
            )
        )
        user_ids = {i.submitter_id for i in imports} | {b.submitter_id for b in builds}
        q_users = select(User.id, User.name).where(User.id.in_(user_ids - {None}))
        users = {i: n for i, n in s.execute(q_users)}
        s.expunge_all()
    return PackageHistory(imports, lines, versions, users)


def repository(db: Database, project_id: int, name: str) -> Repository | None:
    with db.session() as s:
        r = s.scalar(
            select(Repository).where(Repository.project_id == project_id, Repository.name == name)
        )
        if r is not None:
            s.expunge(r)
        return r


def task_kinds(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(k for (k,) in s.execute(select(Task.kind).distinct()))


@dataclass(frozen=True)
class RevisionChanges:
    arch: str
    number: int
    added: list[str]
    removed: list[str]


def revision_changes(
    db: Database, repository_id: int, arch: str, number: int
) -> RevisionChanges | None:
    """What one revision changed from the one before it (its recorded added/removed RPMs)."""
    with db.session() as s:
        rev = s.scalar(
            select(RepositoryRevision).where(
                RepositoryRevision.repository_id == repository_id,
                RepositoryRevision.arch == arch,
                RepositoryRevision.number == number,
            )
        )
        if rev is None:
            return None
        added = [int(i) for i in rev.changes.get("added", [])]
        removed = [int(i) for i in rev.changes.get("removed", [])]
        q_names = select(Artifact.id, Artifact.filename).where(Artifact.id.in_(added + removed))
        names = {i: f for i, f in s.execute(q_names)}
        return RevisionChanges(
            arch,
            number,
            sorted(names.get(i, f"artifact {i}") for i in added),
            sorted(names.get(i, f"artifact {i}") for i in removed),
        )
