"""The sources of a build: only ever an import revision's pinned forge commit plus its
lookaside blobs from the object store (DESIGN.md: nothing is built that was not imported)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package, Project
from olivine.errors import IntegrityFailure, NotFound
from olivine.forge.interfaces import Forge
from olivine.storage.interfaces import ObjectStore


@dataclass(frozen=True)
class RevisionRef:
    id: int
    project: str
    project_id: int
    package: str
    package_id: int
    forge_commit: str
    nevr: str


def find_revision(
    db: Database, project: str, package: str, scm_hash: str | None = None
) -> RevisionRef:
    """The package's latest import in the project, or the import at forge commit `scm_hash`
    (a unique prefix of at least 7 characters is enough)."""
    with db.session() as s:
        q = (
            select(ImportRevision, Project, Package)
            .join(Project, Project.id == ImportRevision.project_id)
            .join(Package, Package.id == ImportRevision.package_id)
            .where(Project.name == project, Package.name == package)
            .order_by(ImportRevision.id.desc())
        )
        rows = s.execute(q).all()
        if not rows:
            raise NotFound(
                f"{package} has no import in project {project}: run `olivine import "
                f"{project} {package}` first"
            )
        if scm_hash:
            if len(scm_hash) < 7:
                raise NotFound(f"--scm-hash {scm_hash!r} is too short (7 characters at least)")
            rows = [r for r in rows if r[0].forge_commit.startswith(scm_hash)]
            if not rows:
                raise NotFound(f"{package} has no import at forge commit {scm_hash} in {project}")
        rev, proj, pkg = rows[0]
        epoch = f"{rev.epoch}:" if rev.epoch else ""
        return RevisionRef(
            rev.id,
            proj.name,
            proj.id,
            pkg.name,
            pkg.id,
            rev.forge_commit,
            f"{pkg.name}-{epoch}{rev.version}-{rev.release}",
        )


def checkout_revision(
    db: Database, forge: Forge, store: ObjectStore, revision_id: int, dest: Path
) -> Path:
    """Write the revision's forge tree to dest and its lookaside blobs into place (each
    verified against its sha256 by the store); returns the tree."""
    with db.session() as s:
        rev = s.get(ImportRevision, revision_id)
        if rev is None:
            raise NotFound(f"import revision {revision_id} not found")
        project, _, package = rev.forge_repo.split("/", 2)
        package = package.removeprefix("rpms/")
        commit, lookaside = rev.forge_commit, list(rev.lookaside or [])
    tree = forge.export(project, package, commit, dest)
    for entry in lookaside:
        rel = PurePosixPath(entry["path"])
        if rel.is_absolute() or ".." in rel.parts:
            raise IntegrityFailure(f"lookaside path {entry['path']!r} leaves the source tree")
        target = tree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        store.download(entry["sha256"], target)
    return tree
