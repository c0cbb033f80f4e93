"""Synthetic artifacts: copies of one real RPM's records under new names and hashes, inserted in
bulk, to make repos of any size without building RPMs (benchmark 4 and quick probes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import insert, select

from olivine.db.base import Database
from olivine.db.models import Artifact, ProjectArtifact
from olivine.repos.rpmmeta import location_for, read_rpm

BATCH = 2000


def synth_rows(template: Path, n: int, prefix: str = "synth") -> list[dict[str, object]]:
    meta = read_rpm(template, template.name)
    sha = hashlib.sha256(template.read_bytes()).hexdigest()
    old = meta.name
    rows = []
    for i in range(n):
        name = f"{prefix}{i:06d}"
        new_sha = hashlib.sha256(f"{prefix}-{i}".encode()).hexdigest()
        filename = meta.filename.replace(old, name, 1)

        def sub(text: str, name: str = name, new_sha: str = new_sha) -> str:
            return text.replace(sha, new_sha).replace(old, name)

        rows.append(
            {
                "sha256": new_sha,
                "size": meta.size_package,
                "filename": filename,
                "name": name,
                "epoch": meta.epoch,
                "version": meta.version,
                "release": meta.release,
                "arch": meta.arch,
                "sourcerpm": meta.sourcerpm,
                "source_name": name,
                "license": meta.license,
                "summary": meta.summary,
                "buildtime": meta.buildtime,
                "size_installed": meta.size_installed,
                "location_href": location_for(filename),
                "primary_xml": sub(meta.primary_xml),
                "filelists_xml": sub(meta.filelists_xml),
                "other_xml": sub(meta.other_xml),
                "multilib_runtime": False,
                "multilib_devel": False,
            }
        )
    return rows


def insert_synthetic(
    db: Database, project_id: int, template: Path, n: int, prefix: str = "synth"
) -> None:
    for start in range(0, n, BATCH):
        rows = synth_rows(template, min(BATCH, n - start), f"{prefix}{start // BATCH:03d}x")
        with db.session() as s:
            s.execute(insert(Artifact), rows)
            ids = list(
                s.scalars(
                    select(Artifact.id).where(Artifact.sha256.in_([r["sha256"] for r in rows]))
                )
            )
            s.execute(
                insert(ProjectArtifact),
                [{"project_id": project_id, "artifact_id": i, "origin": "imported"} for i in ids],
            )
