"""Artifacts: the one way RPMs enter Olivine (a build's output, or a binary a manager imports)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Artifact, ProjectArtifact
from olivine.errors import Conflict, ValidationFailed
from olivine.repos.rpmmeta import RpmMeta, check_rpm_file, read_rpm
from olivine.storage.interfaces import ObjectStore, file_sha256

Origin = Literal["build", "imported"]


@dataclass(frozen=True)
class ArtifactInfo:
    artifact_id: int
    project_artifact_id: int
    sha256: str
    filename: str
    nevra: str
    origin: str
    created: bool  # false when this exact file was already in the project


def _artifact_row(sha256: str, size: int, meta: RpmMeta) -> Artifact:
    return Artifact(
        sha256=sha256,
        size=size,
        filename=meta.filename,
        name=meta.name,
        epoch=meta.epoch,
        version=meta.version,
        release=meta.release,
        arch=meta.arch,
        sourcerpm=meta.sourcerpm,
        source_name=meta.source_name,
        license=meta.license,
        summary=meta.summary,
        buildtime=meta.buildtime,
        size_installed=meta.size_installed,
        location_href=meta.location_href,
        primary_xml=meta.primary_xml,
        filelists_xml=meta.filelists_xml,
        other_xml=meta.other_xml,
        multilib_runtime=meta.multilib_runtime,
        multilib_devel=meta.multilib_devel,
    )


def _get_or_create_artifact(db: Database, store: ObjectStore, path: Path, label: str) -> Artifact:
    sha = file_sha256(path)
    with db.session() as s:
        found = s.scalar(select(Artifact).where(Artifact.sha256 == sha))
    if found is not None:
        return found
    meta = read_rpm(path, label)  # the header is read once, when the file is first seen
    put = store.put_file(path, expected_sha256=sha)
    try:
        with db.session() as s:
            row = _artifact_row(sha, put.size, meta)
            s.add(row)
        return row
    except IntegrityError:  # stored concurrently by another ingest: same file, same row
        with db.session() as s:
            return s.scalars(select(Artifact).where(Artifact.sha256 == sha)).one()


def _nevra(a: Artifact) -> str:
    e = f"{a.epoch}:" if a.epoch else ""
    return f"{a.name}-{e}{a.version}-{a.release}.{a.arch}"


def _same_nevra_in_project(s: Session, project_id: int, a: Artifact) -> Artifact | None:
    q = (
        select(Artifact)
        .join(ProjectArtifact, ProjectArtifact.artifact_id == Artifact.id)
        .where(
            ProjectArtifact.project_id == project_id,
            Artifact.name == a.name,
            Artifact.epoch == a.epoch,
            Artifact.version == a.version,
            Artifact.release == a.release,
            Artifact.arch == a.arch,
        )
    )
    return s.scalars(q).first()


def ingest_rpm(
    db: Database,
    store: ObjectStore,
    path: Path,
    project_id: int,
    origin: Origin = "build",
    build_id: int | None = None,
    uploader_id: int | None = None,
    original_name: str | None = None,
    task_id: int | None = None,
) -> ArtifactInfo:
    """Store an RPM by sha256, record its header and XML once, and add it to the project.

    Idempotent: the same file again returns the same rows. A different file with a NEVRA the
    project already has is a Conflict; a file that is not an RPM is ValidationFailed.
    """
    if origin not in ("build", "imported"):
        raise ValidationFailed(f"artifact origin must be 'build' or 'imported', not {origin!r}")
    label = original_name or path.name
    check_rpm_file(path, label)
    art = _get_or_create_artifact(db, store, path, label)
    with db.session() as s:
        link = s.scalar(
            select(ProjectArtifact).where(
                ProjectArtifact.project_id == project_id, ProjectArtifact.artifact_id == art.id
            )
        )
        created = link is None
        if link is None:
            other = _same_nevra_in_project(s, project_id, art)
            if other is not None:
                raise Conflict(
                    f"{label}: the project already has {_nevra(art)} "
                    f"(sha256 {other.sha256}, a different file); bump the release to replace it"
                )
            link = ProjectArtifact(
                project_id=project_id,
                artifact_id=art.id,
                origin=origin,
                build_id=build_id,
                uploader_id=uploader_id,
                original_name=original_name,
                task_id=task_id,
            )
            s.add(link)
            s.flush()
        return ArtifactInfo(
            artifact_id=art.id,
            project_artifact_id=link.id,
            sha256=art.sha256,
            filename=art.filename,
            nevra=_nevra(art),
            origin=link.origin,
            created=created,
        )
