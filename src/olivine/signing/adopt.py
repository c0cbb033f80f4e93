"""Signed RPMs into the project, on the repo worker (which holds no key).

A signed RPM keeps its NEVRA but is a new file with a new sha256 (its signature header grew), so
it becomes an artifact of its own: its header is read and its primary/filelists/other XML
rendered again, here, as for any RPM that enters Olivine (repos.artifacts); never in the signer.
The project's link to the unsigned RPM (or to an RPM signed with an older key) then points at the
signed one, keeping its origin and build, so every repo publishes the signed file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import Artifact, ProjectArtifact
from olivine.db.models.signing import RpmSignature
from olivine.repos.artifacts import _get_or_create_artifact
from olivine.storage.interfaces import ObjectStore


@dataclass
class Adopted:
    changed: list[int] = field(default_factory=list)  # artifact ids that left or entered
    signed_artifact_ids: list[int] = field(default_factory=list)


def _signed_artifact(db: Database, store: ObjectStore, sig: RpmSignature, tmp: Path) -> int:
    if sig.signed_artifact_id is not None:
        return sig.signed_artifact_id
    with db.session() as s:
        name = s.scalar(select(Artifact.filename).where(Artifact.id == sig.unsigned_artifact_id))
    path = store.download(sig.signed_sha256, tmp / (name or "signed.rpm"))
    art = _get_or_create_artifact(db, store, path, name or sig.signed_sha256)
    path.unlink()
    with db.session() as s:
        row = s.get(RpmSignature, sig.id)
        assert row is not None
        row.signed_artifact_id = art.id
    return art.id


def _family(s: Session, unsigned_id: int) -> list[int]:
    """The unsigned artifact and every artifact signed from it, with any key."""
    signed = s.scalars(
        select(RpmSignature.signed_artifact_id).where(
            RpmSignature.unsigned_artifact_id == unsigned_id,
            RpmSignature.signed_artifact_id.is_not(None),
        )
    )
    return [unsigned_id, *[i for i in signed if i is not None]]


def adopt_signed(
    db: Database, store: ObjectStore, project_id: int, signature_ids: Sequence[int]
) -> Adopted:
    out = Adopted()
    with db.session() as s:
        sigs = list(s.scalars(select(RpmSignature).where(RpmSignature.id.in_(signature_ids))))
    with tempfile.TemporaryDirectory(prefix="olivine-adopt-") as t:
        for sig in sigs:
            new_id = _signed_artifact(db, store, sig, Path(t))
            out.signed_artifact_ids.append(new_id)
            with db.session() as s:
                link = s.scalar(
                    select(ProjectArtifact).where(
                        ProjectArtifact.project_id == project_id,
                        ProjectArtifact.artifact_id.in_(_family(s, sig.unsigned_artifact_id)),
                    )
                )
                if link is None or link.artifact_id == new_id:
                    continue
                out.changed += [link.artifact_id, new_id]
                link.artifact_id = new_id
    return out


def current_ids(db: Database, project_id: int, artifact_ids: Sequence[int]) -> list[int]:
    """What the project holds now in place of each of `artifact_ids` (the signed artifact when
    one was signed and adopted): what a build waits to see published."""
    out: list[int] = []
    with db.session() as s:
        for aid in artifact_ids:
            held = s.scalar(
                select(ProjectArtifact.artifact_id).where(
                    ProjectArtifact.project_id == project_id,
                    ProjectArtifact.artifact_id.in_(_family(s, _original(s, aid))),
                )
            )
            out.append(held if held is not None else aid)
    return out


def _original(s: Session, aid: int) -> int:
    from olivine.signing.signer import original_of

    return original_of(s, aid)
