"""Revisions of a repository: list, diff, rollback, retention pruning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Artifact, Repository, RepositoryHead, RepositoryRevision
from olivine.db.models.repos import RepoChunk
from olivine.errors import NotFound, ValidationFailed
from olivine.repos.state import project_by_name


@dataclass(frozen=True)
class RevisionInfo:
    repository: str
    arch: str
    number: int
    package_count: int
    added: int
    removed: int
    created_at: datetime
    current: bool
    task_id: int | None


@dataclass(frozen=True)
class RepoInfo:
    name: str
    arches: dict[str, int]  # arch -> current revision number
    active: bool


@dataclass(frozen=True)
class RevisionDiff:
    repository: str
    arch: str
    from_number: int
    to_number: int
    added: list[str]  # NEVRAs
    removed: list[str]


def _repo(s: Session, project: str, repo: str) -> Repository:
    p = project_by_name(s, project)
    r = s.scalar(select(Repository).where(Repository.project_id == p.id, Repository.name == repo))
    if r is None:
        raise NotFound(f"project {project} has no repository {repo!r}")
    return r


def _head_ids(s: Session, repository_id: int) -> dict[str, int]:
    q = select(RepositoryHead.arch, RepositoryHead.revision_id)
    return dict(s.execute(q.where(RepositoryHead.repository_id == repository_id)).all())


def list_repos(db: Database, project: str) -> list[RepoInfo]:
    with db.session() as s:
        p = project_by_name(s, project)
        repos = s.scalars(
            select(Repository).where(Repository.project_id == p.id).order_by(Repository.name)
        )
        out = []
        for r in repos:
            q = (
                select(RepositoryHead.arch, RepositoryRevision.number)
                .join(RepositoryRevision, RepositoryRevision.id == RepositoryHead.revision_id)
                .where(RepositoryHead.repository_id == r.id)
            )
            out.append(RepoInfo(r.name, dict(s.execute(q).all()), r.active))
        return out


def list_revisions(
    db: Database, project: str, repo: str, arch: str | None = None
) -> list[RevisionInfo]:
    """Newest first."""
    with db.session() as s:
        r = _repo(s, project, repo)
        current = set(_head_ids(s, r.id).values())
        q = select(RepositoryRevision).where(RepositoryRevision.repository_id == r.id)
        if arch:
            q = q.where(RepositoryRevision.arch == arch)
        q = q.order_by(RepositoryRevision.arch, RepositoryRevision.number.desc())
        return [
            RevisionInfo(
                repo,
                v.arch,
                v.number,
                v.package_count,
                len(v.changes.get("added", [])),
                len(v.changes.get("removed", [])),
                v.created_at,
                v.id in current,
                v.task_id,
            )
            for v in s.scalars(q)
        ]


def _revision(s: Session, repository_id: int, arch: str, number: int) -> RepositoryRevision:
    rev = s.scalar(
        select(RepositoryRevision).where(
            RepositoryRevision.repository_id == repository_id,
            RepositoryRevision.arch == arch,
            RepositoryRevision.number == number,
        )
    )
    if rev is None:
        raise NotFound(f"no revision {number} of arch {arch}")
    return rev


def _members(s: Session, rev: RepositoryRevision) -> set[int]:
    ids: set[int] = set()
    chunk_ids = [e["id"] for e in rev.chunks]
    for (aids,) in s.execute(select(RepoChunk.artifact_ids).where(RepoChunk.id.in_(chunk_ids))):
        ids.update(aids)
    return ids


def _nevras(s: Session, ids: set[int]) -> list[str]:
    rows = s.execute(
        select(
            Artifact.name, Artifact.epoch, Artifact.version, Artifact.release, Artifact.arch
        ).where(Artifact.id.in_(ids))
    ).all()
    return sorted(f"{n}-{f'{e}:' if e else ''}{v}-{r}.{a}" for n, e, v, r, a in rows)


def diff_revisions(
    db: Database, project: str, repo: str, arch: str, a: int, b: int
) -> RevisionDiff:
    """What changed from revision `a` to revision `b` of one repo/arch."""
    with db.session() as s:
        r = _repo(s, project, repo)
        old = _members(s, _revision(s, r.id, arch, a))
        new = _members(s, _revision(s, r.id, arch, b))
        return RevisionDiff(repo, arch, a, b, _nevras(s, new - old), _nevras(s, old - new))


def rollback(db: Database, project: str, repo: str, to: int, arch: str | None = None) -> list[str]:
    """Make revision `to` current again (for one arch, or every arch that has that number).
    The heads move as a signed publish moves them, so that repomd.xml/.asc pairs still match
    (olivine.repos.pairing)."""
    from olivine.repos.pairing import activate_paired

    with db.session() as s:
        r = _repo(s, project, repo)
        q = select(RepositoryRevision).where(
            RepositoryRevision.repository_id == r.id, RepositoryRevision.number == to
        )
        if arch:
            q = q.where(RepositoryRevision.arch == arch)
        revs = list(s.scalars(q))
        if not revs:
            where = f" of arch {arch}" if arch else ""
            raise NotFound(f"{project}/{repo} has no revision {to}{where}")
        ids, arches = [rev.id for rev in revs], sorted(rev.arch for rev in revs)
    activate_paired(db, ids)
    return arches


def prune(db: Database, repository_id: int, arch: str, keep: int) -> int:
    """Delete all but the newest `keep` revisions of one repo/arch (never the current one).
    Stored objects stay: they are content-addressed and may be shared with other revisions."""
    if keep < 1:
        raise ValidationFailed("retention must keep at least 1 revision")
    with db.session() as s:
        head = _head_ids(s, repository_id).get(arch)
        q = (
            select(RepositoryRevision.id)
            .where(
                RepositoryRevision.repository_id == repository_id, RepositoryRevision.arch == arch
            )
            .order_by(RepositoryRevision.number.desc())
        )
        ids = list(s.scalars(q))
        doomed = [i for i in ids[keep:] if i != head]
        if doomed:
            s.execute(delete(RepositoryRevision).where(RepositoryRevision.id.in_(doomed)))
        return len(doomed)
