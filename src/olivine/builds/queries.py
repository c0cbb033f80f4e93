"""Builds as the pages show them: each with the state of every arch, its build roots and the
RPMs it brought into the project."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from olivine.db.base import Database
from olivine.db.models import (
    Artifact,
    BatchItem,
    Build,
    BuildRoot,
    ImportRevision,
    Package,
    Project,
    ProjectArtifact,
    Repository,
    RepositoryRevision,
    Task,
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


@dataclass(frozen=True)
class ArchView:
    arch: str
    status: str
    reason: str | None
    task_id: int | None
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class RevisionRef:
    """A repository revision a build's RPMs entered (first revision of each repo and arch)."""

    repository: str
    arch: str
    number: int


@dataclass(frozen=True)
class BuildDetail:
    line: BuildLine
    package: str
    started_at: datetime | None
    forge_commit: str | None
    batch_id: int | None
    batch_item: tuple[str, str | None] | None  # the batch item's (status, reason)
    source: ImportRevision | None
    arches: list[ArchView]
    entered: list[RevisionRef]
    canceled_by: str | None = None  # who canceled the build's task (when it is canceled)


OPEN = ("pending", "building")


def _settled(s: Session, lines: list[BuildLine]) -> list[BuildLine]:
    """Lines as their job ended: a build still `pending` or `building` whose task ended
    failed or canceled (a build refused before its row was updated, such as a NEVR already
    built) shows that end and the task's reason, never a state that can no longer change."""
    open_ = {ln.task_id: ln for ln in lines if ln.status in OPEN and ln.task_id}
    if not open_:
        return lines
    q = select(Task.id, Task.status, Task.error, Task.finished_at).where(Task.id.in_(open_))
    ended = {i: (st, err, fin) for i, st, err, fin in s.execute(q) if st in ("failed", "canceled")}
    out = []
    for ln in lines:
        if ln.task_id in ended and ln.status in OPEN:
            st, err, fin = ended[ln.task_id]
            arches = {a: st if v in OPEN else v for a, v in ln.arches.items()}
            ln = replace(ln, status=st, reason=ln.reason or err, finished_at=ln.finished_at or fin,
                         arches=arches)  # fmt: skip
        out.append(ln)
    return out


def settled(db: Database, lines: list[BuildLine]) -> list[BuildLine]:
    """_settled for lines read elsewhere (latest_builds, package_builds)."""
    with db.session() as s:
        return _settled(s, lines)


def build_detail(db: Database, project_id: int, build_id: int) -> BuildDetail | None:
    """One build of the project for its page, or None if the project has no such build."""
    with db.session() as s:
        b = s.get(Build, build_id)
        if b is None or b.project_id != project_id:
            return None
        line = _settled(s, build_lines(s, [b]))[0]
        package = s.get(Package, b.package_id)
        roots = {r.arch: r for r in s.scalars(select(BuildRoot).where(BuildRoot.build_id == b.id))}
        arches = [
            ArchView(a, st, roots[a].reason if a in roots else None,
                     roots[a].task_id if a in roots else _arch_task(s, b.task_id, a),
                     list(roots[a].entries) if a in roots else [])
            for a, st in line.arches.items()
        ]  # fmt: skip
        source = s.get(ImportRevision, b.import_revision_id)
        if source is not None:
            s.expunge(source)
        return BuildDetail(
            line,
            package.name if package else "",
            b.started_at,
            b.forge_commit,
            b.batch_id,
            _batch_item(s, b),
            source,
            arches,
            _entered(s, project_id, b),
            _canceled_by(s, b.task_id),
        )


def _canceled_by(s: Session, task_id: int | None) -> str | None:
    if task_id is None:
        return None
    row = s.execute(select(Task.status, Task.canceled_by).where(Task.id == task_id)).first()
    return row[1] if row is not None and row[0] == "canceled" else None


def _arch_task(s: Session, task_id: int | None, arch: str) -> int | None:
    if task_id is None:
        return None
    return s.scalar(select(Task.id).where(Task.parent_id == task_id, Task.arch == arch))


def _batch_item(s: Session, b: Build) -> tuple[str, str | None] | None:
    if b.batch_id is None:
        return None
    q = select(BatchItem.status, BatchItem.reason).where(
        BatchItem.batch_id == b.batch_id, BatchItem.package_id == b.package_id
    )
    row = s.execute(q).first()
    return (row[0], row[1]) if row else None


def _entered(s: Session, project_id: int, b: Build) -> list[RevisionRef]:
    """The revisions whose recorded changes added one of the build's RPMs. The changes are a
    JSON list per revision, so they are read here rather than matched in SQL (portable across
    SQLite and PostgreSQL); only revisions of the project's repositories made since the build
    was submitted are read."""
    ids = set(
        s.scalars(select(ProjectArtifact.artifact_id).where(ProjectArtifact.build_id == b.id))
    )
    if not ids:
        return []
    q = (
        select(Repository.name, RepositoryRevision.arch, RepositoryRevision.number,
               RepositoryRevision.changes)
        .join(Repository, Repository.id == RepositoryRevision.repository_id)
        .where(Repository.project_id == project_id, RepositoryRevision.created_at >= b.created_at)
        .order_by(Repository.name, RepositoryRevision.arch, RepositoryRevision.number)
    )  # fmt: skip
    seen: dict[tuple[str, str], RevisionRef] = {}
    for repo, arch, number, changes in s.execute(q):
        added = {int(i) for i in (changes or {}).get("added", [])}
        if (repo, arch) not in seen and added & ids:
            seen[(repo, arch)] = RevisionRef(repo, arch, number)
    return sorted(seen.values(), key=lambda r: (r.repository != "all", r.repository, r.arch))


@dataclass(frozen=True)
class BuildHit:
    """A build in a list or a search result."""

    project: str
    package: str
    line: BuildLine


def _hits(s: Session, q: Any) -> list[BuildHit]:
    rows = s.execute(q).all()
    lines = {ln.id: ln for ln in _settled(s, build_lines(s, [r[0] for r in rows]))}
    return [BuildHit(project, package, lines[b.id]) for b, project, package in rows]


def _hit_query() -> Any:
    return (
        select(Build, Project.name, Package.name)
        .join(Project, Project.id == Build.project_id)
        .join(Package, Package.id == Build.package_id)
    )


def list_builds(
    db: Database,
    project_id: int,
    package: str | None = None,
    state: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[BuildHit]]:
    """A project's builds, newest first, optionally of one package and in one state."""
    q = _hit_query().where(Build.project_id == project_id)
    if package:
        q = q.where(Package.name == package)
    if state:  # the state shown (_settled): a refused build's ended task counts
        job = aliased(Task)
        ended = and_(Build.status.in_(OPEN), job.status.in_(("failed", "canceled")))
        shown = case((ended, job.status), else_=Build.status)
        q = q.outerjoin(job, job.id == Build.task_id).where(shown == state)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
        return total, _hits(s, q.order_by(Build.id.desc()).offset(offset).limit(limit))


def find_builds(db: Database, project_ids: list[int], text: str, limit: int = 20) -> list[BuildHit]:
    """Builds of these projects whose ID is `text` (`123`, `#123`) or whose NVR
    (`name-version-release`) contains it; newest first."""
    if not project_ids or not text:
        return []
    nvr = Package.name + "-" + Build.version + "-" + Build.release
    cond = nvr.icontains(text, autoescape=True)
    digits = text.removeprefix("#")
    if digits.isdigit() and int(digits) < 2**31:  # row IDs are 32-bit
        cond = or_(cond, Build.id == int(digits))
    q = _hit_query().where(Build.project_id.in_(project_ids), cond)
    with db.session() as s:
        return _hits(s, q.order_by(Build.id.desc()).limit(limit))


def has_provenance(db: Database, project_id: int, build_id: int) -> bool:
    """Whether the build has signed provenance (a row of the provenance component's table)."""
    from olivine.db.models import Provenance

    with db.session() as s:
        q = select(Provenance.id).where(
            Provenance.build_id == build_id, Provenance.project_id == project_id
        )
        return s.scalar(q) is not None


def batch_builds(db: Database, batch_id: int) -> dict[str, int]:
    """Package name -> the build a build batch made of it."""
    with db.session() as s:
        q = (
            select(Package.name, Build.id)
            .join(Package, Package.id == Build.package_id)
            .where(Build.batch_id == batch_id)
        )
        return {name: bid for name, bid in s.execute(q)}
