"""Write the current revision of one repo/arch as a plain directory tree (repodata/ and, if
asked, Packages/): what `olivine export` and the conformance tests use."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Artifact, Repository, RepositoryHead, RepositoryRevision
from olivine.db.models.repos import RepoChunk
from olivine.errors import NotFound
from olivine.repos.state import project_by_name
from olivine.storage.interfaces import ObjectStore


def write_repo_tree(
    db: Database,
    store: ObjectStore,
    project: str,
    repo: str,
    arch: str,
    dest: Path,
    packages: bool = False,
) -> Path:
    with db.session() as s:
        p = project_by_name(s, project)
        rev = s.scalar(
            select(RepositoryRevision)
            .join(RepositoryHead, RepositoryHead.revision_id == RepositoryRevision.id)
            .join(Repository, Repository.id == RepositoryHead.repository_id)
            .where(Repository.project_id == p.id, Repository.name == repo)
            .where(RepositoryHead.arch == arch)
        )
        if rev is None:
            raise NotFound(f"{project}/{repo}/{arch} has not been published")
        rpms: list[tuple[str, str]] = []
        if packages:
            ids: list[int] = []
            for (aids,) in s.execute(
                select(RepoChunk.artifact_ids).where(
                    RepoChunk.id.in_([e["id"] for e in rev.chunks])
                )
            ):
                ids.extend(aids)
            q = select(Artifact.sha256, Artifact.location_href).where(Artifact.id.in_(ids))
            rpms = [(sha, href) for sha, href in s.execute(q)]
    (dest / "repodata").mkdir(parents=True, exist_ok=True)
    for f in rev.files:
        store.download(f["sha256"], dest / f["href"])
    (dest / "repodata" / "repomd.xml").write_text(rev.repomd_xml)
    for sha, href in rpms:
        (dest / href).parent.mkdir(parents=True, exist_ok=True)
        store.download(sha, dest / href)
    return dest
