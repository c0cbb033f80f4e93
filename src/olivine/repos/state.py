"""Reading what publishing needs from the database: the project's repos and packages, heads."""

from __future__ import annotations

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
from olivine.repos.rpmmeta import source_name_of


@dataclass(frozen=True)
class RepoPlan:
    repository_id: int
    name: str
    filter: RepoFilter
    compress: str
    retention: int | None
    extras: dict[str, str]  # comps / modules / updateinfo text


@dataclass(frozen=True)
class HeadState:
    revision_id: int
    number: int
    timestamp: int
    signature: str
    artifact_ids: set[int]


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
        specs[ALL_REPO] = {"name": ALL_REPO}
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
    extras = {k: v for k, v in (("group", row.comps_xml), ("modules", row.modules_yaml),
                                ("updateinfo", row.updateinfo_xml)) if v}  # fmt: skip
    return RepoPlan(
        row.id, row.name, filt, spec.get("compress", "gz"), spec.get("retention"), extras
    )


def load_records(db: Database, project_id: int) -> list[PackageRecord]:
    """Every RPM of the project, with only the columns filtering needs."""
    cols = (Artifact.id, Artifact.name, Artifact.epoch, Artifact.version, Artifact.release,
            Artifact.arch, Artifact.sourcerpm, Artifact.multilib_runtime, Artifact.multilib_devel,
            Artifact.sha256)  # fmt: skip
    q = select(*cols).join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
    q = q.where(ProjectArtifact.project_id == project_id)
    with db.session() as s:
        rows = s.execute(q).all()
    return [
        PackageRecord(i, n, e, v, r, a, source_name_of(n, a, srpm), bool(mr), bool(md), sha)
        for (i, n, e, v, r, a, srpm, mr, md, sha) in rows
    ]


def heads(db: Database, repository_id: int) -> dict[str, HeadState]:
    """The current revision of each arch of a repository, with the packages it holds."""
    q = (
        select(RepositoryHead.arch, RepositoryRevision)
        .join(RepositoryRevision, RepositoryRevision.id == RepositoryHead.revision_id)
        .where(RepositoryHead.repository_id == repository_id)
    )
    out: dict[str, HeadState] = {}
    with db.session() as s:
        for arch, rev in s.execute(q).all():
            ids: set[int] = set()
            chunk_ids = list(rev.chunks or [])
            for i in range(0, len(chunk_ids), 500):
                part = chunk_ids[i : i + 500]
                for (aids,) in s.execute(
                    select(RepoChunk.artifact_ids).where(RepoChunk.id.in_(part))
                ):
                    ids.update(aids)
            sig = str((rev.changes or {}).get("signature", ""))
            out[arch] = HeadState(rev.id, rev.number, rev.timestamp, sig, ids)
    return out
