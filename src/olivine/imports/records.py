"""Import revisions in the database: recording, history, and what earlier imports tell us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package, PackageVersion
from olivine.domain.nevra import NEVR
from olivine.errors import NotFound


def package_id(db: Database, name: str) -> int:
    """The id of the package `name`, created on first use (safe against a concurrent create)."""
    for _ in range(3):
        with db.session() as s:
            found = s.scalar(select(Package.id).where(Package.name == name))
            if found is not None:
                return found
        try:
            with db.session() as s:
                pkg = Package(name=name)
                s.add(pkg)
                s.flush()
                return pkg.id
        except IntegrityError:
            continue
    raise NotFound(f"package {name} could not be created")


def _version_id(s: Session, project_id: int, pkg_id: int, nevr: NEVR) -> int:
    q = select(PackageVersion.id).where(
        PackageVersion.project_id == project_id,
        PackageVersion.package_id == pkg_id,
        PackageVersion.epoch == nevr.epoch,
        PackageVersion.version == nevr.version,
        PackageVersion.release == nevr.release,
    )
    found = s.scalar(q)
    if found is not None:
        return found
    pv = PackageVersion(
        project_id=project_id,
        package_id=pkg_id,
        epoch=nevr.epoch,
        version=nevr.version,
        release=nevr.release,
    )
    s.add(pv)
    s.flush()
    return pv.id


def record(db: Database, project_id: int, pkg_id: int, nevr: NEVR, **values: Any) -> int:
    """Insert an ImportRevision (and its PackageVersion if new); returns the revision id."""
    for attempt in range(2):
        try:
            with db.session() as s:
                pv = _version_id(s, project_id, pkg_id, nevr)
                rev = ImportRevision(
                    project_id=project_id,
                    package_id=pkg_id,
                    package_version_id=pv,
                    epoch=nevr.epoch,
                    version=nevr.version,
                    release=nevr.release,
                    **values,
                )
                s.add(rev)
                s.flush()
                return rev.id
        except IntegrityError:
            if attempt:
                raise  # a concurrent import made the same version: the retry finds it
    raise AssertionError("unreachable")


def set_spec_facts(db: Database, revision_id: int, facts: dict[str, Any] | None) -> None:
    """Record the spec facts of a revision that has none (imported before they were kept)."""
    if facts is None:
        return
    with db.session() as s:
        rev = s.get(ImportRevision, revision_id)
        if rev is not None and rev.spec_facts is None:
            rev.spec_facts = facts


@dataclass(frozen=True)
class RevisionView:
    id: int
    project_id: int
    package: str
    nevr: str
    epoch: int
    version: str
    release: str
    upstream_kind: str
    upstream_url: str
    upstream_branch: str | None
    upstream_ref: str | None
    upstream_commit: str | None
    patch_url: str | None
    patch_commit: str | None
    forge_repo: str
    forge_branch: str
    forge_commit: str
    forge_tag: str
    lookaside: list[dict[str, Any]]
    submitter_id: int | None
    task_id: int | None
    created_at: datetime


def _view(r: ImportRevision, package: str) -> RevisionView:
    nevr = NEVR(package, r.epoch, r.version, r.release)
    return RevisionView(
        r.id,
        r.project_id,
        package,
        str(nevr),
        r.epoch,
        r.version,
        r.release,
        r.upstream_kind,
        r.upstream_url,
        r.upstream_branch,
        r.upstream_ref,
        r.upstream_commit,
        r.patch_url,
        r.patch_commit,
        r.forge_repo,
        r.forge_branch,
        r.forge_commit,
        r.forge_tag,
        list(r.lookaside or []),
        r.submitter_id,
        r.task_id,
        r.created_at,
    )


def history(db: Database, project_id: int, package: str, limit: int = 100) -> list[RevisionView]:
    """A package's imports in a project, newest first."""
    with db.session() as s:
        rows = s.scalars(
            select(ImportRevision)
            .join(Package, Package.id == ImportRevision.package_id)
            .where(ImportRevision.project_id == project_id, Package.name == package)
            .order_by(ImportRevision.id.desc())
            .limit(limit)
        )
        return [_view(r, package) for r in rows]


def get_revision(
    db: Database, project_id: int, package: str, rev: str | int | None
) -> RevisionView:
    """The latest revision, or the one `rev` names: a revision id, a forge commit or tag."""
    revs = history(db, project_id, package, limit=10_000)
    if not revs:
        raise NotFound(f"package {package} has never been imported into this project")
    if rev is None:
        return revs[0]
    key = str(rev)
    for r in revs:
        if key in (str(r.id), r.forge_tag, r.nevr) or (
            len(key) >= 7 and r.forge_commit.startswith(key)
        ):
            return r
    raise NotFound(f"no import of {package} matches {rev!r}")


def by_forge_commit(
    db: Database, project_id: int, package: str, commit: str
) -> RevisionView | None:
    return next(
        (r for r in history(db, project_id, package, 10_000) if r.forge_commit == commit), None
    )


class RevisionAliases:
    """AliasBook over earlier imports: which sha256 an md5/sha1/sha512 lookaside digest was."""

    def __init__(self, db: Database, pkg_id: int) -> None:
        self.db = db
        self.pkg_id = pkg_id
        self._new: dict[tuple[str, str], str] = {}

    def get(self, hashtype: str, digest: str) -> str | None:
        if (hashtype, digest) in self._new:
            return self._new[(hashtype, digest)]
        with self.db.session() as s:
            for entries in s.scalars(
                select(ImportRevision.lookaside).where(ImportRevision.package_id == self.pkg_id)
            ):
                for e in entries or []:
                    if e.get("hashtype") == hashtype and e.get("digest") == digest:
                        return str(e["sha256"])
        return None

    def add(self, hashtype: str, digest: str, sha256: str) -> None:
        self._new[(hashtype, digest)] = sha256  # made durable by the revision's lookaside list
