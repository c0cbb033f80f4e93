"""Reading what publishing needs from the database: the project's repos and packages, heads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import (
    Artifact,
    Project,
    ProjectArtifact,
    Repository,
    RepositoryHead,
    RepositoryRevision,
)
from olivine.db.models.repos import RepoChunk
from olivine.domain.repofilter import ALL_REPO, PackageRecord, RepoFilter
from olivine.errors import NotFound
from olivine.repos.chunkstore import ChunkEntry


@dataclass(frozen=True)
class RepoPlan:
    repository_id: int
    name: str
    filter: RepoFilter
    compress: str
    retention: int | None
    extras: dict[str, str]  # comps / modules / updateinfo text
    spec: dict[str, Any]  # the repository entry of the project file, as stored


@dataclass(frozen=True)
class HeadState:
    revision_id: int
    number: int
    timestamp: int
    signature: str  # of the content: compression, chunk digests, extra files
    spec: str  # of what decided the content: filters, compression, extra files
    entries: list[ChunkEntry]


def project_by_name(s: Session, name: str) -> Project:
    p = s.scalar(select(Project).where(Project.name == name))
    if p is None:
        raise NotFound(f"project {name!r} does not exist")
    return p


def _arches(spec: dict[str, Any]) -> list[str]:
    return list(spec.get("arches") or ["x86_64"])


def sync_repositories(db: Database, project_id: int) -> tuple[list[str], list[RepoPlan]]:
    """Make the Repository rows match the project file (plus `all`); return arches and plans."""
    with db.session() as s:
        project = s.get(Project, project_id)
        if project is None:
            raise NotFound(f"project id {project_id} does not exist")
        specs = {r["name"]: r for r in project.spec.get("repositories") or []}
        specs[ALL_REPO] = {"name": ALL_REPO, "all": True}  # as the project service writes it
        rows = {
            r.name: r
            for r in s.scalars(select(Repository).where(Repository.project_id == project_id))
        }
        for name, spec in specs.items():
            row = rows.get(name)
            if row is None:
                row = rows[name] = Repository(project_id=project_id, name=name, spec=spec)
                s.add(row)
            elif row.spec != spec or not row.active:
                row.spec, row.active = spec, True
        for name, row in rows.items():
            if name not in specs:
                row.active = False
        s.flush()
        plans = [_plan(rows[n], specs[n]) for n in specs]
        return _arches(project.spec), plans


def _plan(row: Repository, spec: dict[str, Any]) -> RepoPlan:
    filt = RepoFilter.all_repo() if row.name == ALL_REPO else RepoFilter.from_spec(spec)
    extras = {
        k: v
        for k, v in (
            ("group", row.comps_xml),
            ("modules", row.modules_yaml),
            ("updateinfo", row.updateinfo_xml),
        )
        if v
    }
    return RepoPlan(
        row.id, row.name, filt, spec.get("compress", "gz"), spec.get("retention"), extras, spec
    )


_COLS = (
    Artifact.id,
    Artifact.name,
    Artifact.epoch,
    Artifact.version,
    Artifact.release,
    Artifact.arch,
    Artifact.source_name,
    Artifact.multilib_runtime,
    Artifact.multilib_devel,
    Artifact.sha256,
)


def _records(db: Database, q: Any) -> list[PackageRecord]:
    with db.engine.connect() as c:  # plain Core rows: 20,000 of them load in a few ms
        rows = c.execute(q).all()
    return [
        PackageRecord(i, n, e, v, r, a, src or n, bool(mr), bool(md), sha)
        for (i, n, e, v, r, a, src, mr, md, sha) in rows
    ]


def _in_project(project_id: int) -> Any:
    q = select(*_COLS).join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
    return q.where(ProjectArtifact.project_id == project_id)


def load_records(db: Database, project_id: int) -> list[PackageRecord]:
    """Every RPM of the project, with only the columns filtering needs."""
    return _records(db, _in_project(project_id))


def records_of_sources(db: Database, project_id: int, sources: set[str]) -> list[PackageRecord]:
    """The project's RPMs built from these source packages (every version)."""
    out: list[PackageRecord] = []
    names = sorted(sources)
    linked = select(ProjectArtifact.id).where(
        ProjectArtifact.artifact_id == Artifact.id, ProjectArtifact.project_id == project_id
    )
    for i in range(0, len(names), 500):
        # by the source_name index first, then the project link (not a scan of the project)
        q = select(*_COLS).where(Artifact.source_name.in_(names[i : i + 500]), linked.exists())
        out += _records(db, q)
    return out


def records_by_ids(db: Database, ids: Sequence[int]) -> list[PackageRecord]:
    out: list[PackageRecord] = []
    for i in range(0, len(ids), 1000):
        out += _records(db, select(*_COLS).where(Artifact.id.in_(ids[i : i + 1000])))
    return out


def chunk_members(db: Database, chunk_ids: Sequence[int]) -> list[int]:
    """Artifact ids of these chunks, in chunk order."""
    by_id: dict[int, list[int]] = {}
    with db.engine.connect() as c:
        for i in range(0, len(chunk_ids), 500):
            q = select(RepoChunk.id, RepoChunk.artifact_ids)
            for cid, aids in c.execute(q.where(RepoChunk.id.in_(chunk_ids[i : i + 500]))):
                by_id[cid] = aids
    return [a for cid in chunk_ids for a in by_id[cid]]


def heads(db: Database, repository_id: int) -> dict[str, HeadState]:
    """The current revision of each arch of a repository."""
    q = (
        select(RepositoryHead.arch, RepositoryRevision)
        .join(RepositoryRevision, RepositoryRevision.id == RepositoryHead.revision_id)
        .where(RepositoryHead.repository_id == repository_id)
    )
    out: dict[str, HeadState] = {}
    with db.session() as s:
        for arch, rev in s.execute(q).all():
            changes = rev.changes or {}
            entries = [ChunkEntry.from_json(e) for e in rev.chunks or [] if isinstance(e, dict)]
            out[arch] = HeadState(
                rev.id,
                rev.number,
                rev.timestamp,
                str(changes.get("signature", "")),
                str(changes.get("spec", "")),
                entries,
            )
    return out
