"""Build bookkeeping in the database: builds, their NEVR claim, and one build-root record per
arch build (its status, reason and the packages it was built in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.builds.jobs import BuildStatus
from olivine.db.base import Database, utcnow
from olivine.db.models import Build, BuildRoot, ImportRevision, Package
from olivine.errors import Conflict, NotFound, ValidationFailed

STATUSES = tuple(BuildStatus)


@dataclass(frozen=True)
class ArchRecord:
    arch: str
    status: str
    reason: str | None
    entries: list[dict[str, Any]]
    task_id: int | None


@dataclass(frozen=True)
class BuildInfo:
    id: int
    project_id: int
    package: str
    import_revision_id: int
    forge_commit: str | None
    task_id: int | None
    batch_id: int | None
    scratch: bool
    status: str
    reason: str | None
    nevr: str | None
    arches: list[str]
    created_at: datetime
    finished_at: datetime | None


def create_build(
    db: Database,
    import_revision_id: int,
    *,
    task_id: int | None = None,
    batch_id: int | None = None,
    submitter_id: int | None = None,
    scratch: bool = False,
) -> int:
    """A pending build of an import revision (builds start from nothing else)."""
    with db.session() as s:
        return add_build(
            s,
            import_revision_id,
            task_id=task_id,
            batch_id=batch_id,
            submitter_id=submitter_id,
            scratch=scratch,
        ).id


def add_build(
    s: Session,
    import_revision_id: int,
    *,
    task_id: int | None = None,
    batch_id: int | None = None,
    submitter_id: int | None = None,
    scratch: bool = False,
) -> Build:
    """create_build in the caller's transaction (a build job's rows are written in one)."""
    rev = s.get(ImportRevision, import_revision_id)
    if rev is None:
        raise NotFound(f"import revision {import_revision_id} not found: import the package")
    b = Build(
        project_id=rev.project_id,
        package_id=rev.package_id,
        import_revision_id=rev.id,
        forge_commit=rev.forge_commit,
        task_id=task_id,
        batch_id=batch_id,
        submitter_id=submitter_id,
        scratch=scratch,
        status=BuildStatus.PENDING.value,
    )
    s.add(b)
    s.flush()
    return b


def claim_nevr(
    db: Database, build_id: int, epoch: int | None, version: str, release: str, srpm_sha256: str
) -> None:
    """Mark the build as building this NEVR. A NEVR already building or built in the project
    (not scratch) is a Conflict naming that build, and the build ends failed with that reason."""
    try:
        with db.session() as s:
            b = _get(s, build_id)
            b.epoch, b.version, b.release = epoch or 0, version, release
            b.srpm_sha256, b.started_at = srpm_sha256, b.started_at or utcnow()
            b.status = BuildStatus.BUILDING.value
    except IntegrityError:
        other = _claimant(db, build_id, epoch or 0, version, release)
        why = (
            f"{_nevr_text(epoch, version, release)} is already built into this project"
            + (f" (build {other})" if other else "")
            + ": bump the Release to build it again"
        )
        finish_build(db, build_id, BuildStatus.FAILED.value, why)  # a refused build ends
        raise Conflict(why) from None


def mark_building(db: Database, build_id: int) -> None:
    """A pending build is building from now, before its SRPM names its NEVR (builds/whole.py:
    the SRPM is made with the RPMs)."""
    with db.session() as s:
        b = _get(s, build_id)
        if b.status == BuildStatus.PENDING.value:
            b.status, b.started_at = BuildStatus.BUILDING.value, utcnow()


def _claimant(db: Database, build_id: int, epoch: int, version: str, release: str) -> int | None:
    with db.session() as s:
        b = _get(s, build_id)
        q = select(Build.id).where(
            Build.project_id == b.project_id,
            Build.package_id == b.package_id,
            Build.epoch == epoch,
            Build.version == version,
            Build.release == release,
            Build.scratch.is_(False),
            Build.status.in_((BuildStatus.BUILDING.value, BuildStatus.COMPLETE.value)),
        )
        return s.scalar(q)


def _nevr_text(epoch: int | None, version: str, release: str) -> str:
    return f"{epoch}:{version}-{release}" if epoch else f"{version}-{release}"


def set_arches(db: Database, build_id: int, arches: Sequence[str]) -> None:
    with db.session() as s:
        _get(s, build_id).arches = list(arches)


def record_arch(
    db: Database,
    build_id: int,
    arch: str,
    status: str,
    *,
    entries: Sequence[dict[str, Any]] = (),
    reason: str | None = None,
    task_id: int | None = None,
) -> None:
    """The arch build's record; a retried arch build replaces it (never duplicates it)."""
    status = _check_status(status)
    with db.session() as s:
        _get(s, build_id)
        q = select(BuildRoot).where(BuildRoot.build_id == build_id, BuildRoot.arch == arch)
        row = s.scalar(q)
        if row is None:
            row = BuildRoot(build_id=build_id, arch=arch)
            s.add(row)
        row.status, row.reason, row.entries = status, reason, list(entries)
        row.task_id = task_id if task_id is not None else row.task_id


def finish_build(db: Database, build_id: int, status: str, reason: str | None = None) -> None:
    status = _check_status(status)
    with db.session() as s:
        b = _get(s, build_id)
        b.status, b.reason, b.finished_at = status, reason, utcnow()


def fail_if_open(db: Database, build_id: int, reason: str) -> None:
    """End a build that is still pending or building as failed with `reason` (one already
    ended keeps its end and reason)."""
    with db.session() as s:
        b = _get(s, build_id)
        if b.status in (BuildStatus.PENDING.value, BuildStatus.BUILDING.value):
            b.status, b.reason, b.finished_at = BuildStatus.FAILED.value, reason, utcnow()


def get_build(db: Database, build_id: int) -> BuildInfo:
    with db.session() as s:
        b = _get(s, build_id)
        pkg = s.get(Package, b.package_id)
        nevr = None
        if b.version is not None and b.release is not None and pkg is not None:
            nevr = f"{pkg.name}-{_nevr_text(b.epoch, b.version, b.release)}"
        return BuildInfo(
            b.id,
            b.project_id,
            pkg.name if pkg else "?",
            b.import_revision_id,
            b.forge_commit,
            b.task_id,
            b.batch_id,
            b.scratch,
            b.status,
            b.reason,
            nevr,
            list(b.arches or []),
            b.created_at,
            b.finished_at,
        )


def arch_records(db: Database, build_id: int) -> list[ArchRecord]:
    with db.session() as s:
        q = select(BuildRoot).where(BuildRoot.build_id == build_id).order_by(BuildRoot.id)
        return [
            ArchRecord(r.arch, r.status, r.reason, list(r.entries or []), r.task_id)
            for r in s.scalars(q)
        ]


def built_names(db: Database, project_id: int, package: str) -> list[str]:
    """The binary package names earlier builds of `package` brought into the project."""
    from olivine.db.models import Artifact, ProjectArtifact

    with db.session() as s:
        q = (
            select(Artifact.name)
            .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
            .where(
                ProjectArtifact.project_id == project_id,
                Artifact.source_name == package,
                Artifact.arch != "src",
            )
            .distinct()
        )
        return sorted(s.scalars(q))


def _get(s: Session, build_id: int) -> Build:
    b = s.get(Build, build_id)
    if b is None:
        raise NotFound(f"build {build_id} not found")
    return b


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValidationFailed(f"unknown build status {status!r} (known: {', '.join(STATUSES)})")
    return BuildStatus(status).value
