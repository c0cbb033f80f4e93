"""Shared helpers of the signing tests: a project with build outputs, keys made once per session
(RSA 4096 takes seconds), and the greps for private material."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from olivine.db.base import Database
from olivine.db.models import Build, ImportRevision, Package
from olivine.repos.artifacts import ArtifactInfo, ingest_rpm
from olivine.signing.keys import KeyMaterial
from olivine.signing.keystore import KeyStore
from olivine.storage.interfaces import ObjectStore
from tests.unit.repos.helpers import make_project, pulp_rpms

__all__ = ["build_outputs", "key_and_outputs", "make_project", "no_private", "pulp_rpms"]


def _build(db: Database, project_id: int, scratch: bool = False) -> int:
    with db.session() as s:
        pkg = s.query(Package).filter_by(name="animals").one_or_none() or Package(name="animals")
        s.add(pkg)
        s.flush()
        rev = ImportRevision(
            project_id=project_id,
            package_id=pkg.id,
            upstream_kind="srpm",
            upstream_url="file:///x",
            forge_repo="p/rpms/animals",
            forge_branch="r9",
            forge_commit="0" * 40,
            forge_tag="t",
            version="1",
            release="1",
        )
        s.add(rev)
        s.flush()
        b = Build(
            project_id=project_id,
            package_id=pkg.id,
            import_revision_id=rev.id,
            scratch=scratch,
            status="complete",
        )
        s.add(b)
        s.flush()
        return b.id


def key_and_outputs(
    db: Database, store: ObjectStore, keystore: KeyStore, key: KeyMaterial, n: int = 3
) -> tuple[int, list[int]]:
    """Project el9 with `key` imported and `n` pulp RPMs as one build's outputs: its id and
    theirs."""
    pid = make_project(db, "el9")
    keystore.import_key("el9", key.secret, actor_id=None)
    return pid, [a.artifact_id for a in build_outputs(db, store, pid, pulp_rpms()[:n])]


def build_outputs(
    db: Database, store: ObjectStore, project_id: int, files: list[Path], scratch: bool = False
) -> list[ArtifactInfo]:
    build_id = _build(db, project_id, scratch)
    return [ingest_rpm(db, store, f, project_id, "build", build_id=build_id) for f in files]


def no_private(text: str, secret: bytes, public: str = "") -> None:
    """Fail when `text` carries a private key: the armor header, or any base64 line of the
    armored secret that the public key does not share (the secret packet repeats the public)."""
    assert "PRIVATE KEY" not in text
    shared = set(public.splitlines())
    for ln in secret.decode().splitlines():
        if len(ln) > 40 and ln not in shared:
            assert ln not in text, "a line of the armored secret key leaked"


def rpm_checksig(path: Path, pubkeys: list[str], tmp: Path) -> str:
    db = tmp / "rpmdb-check"
    shutil.rmtree(db, ignore_errors=True)
    db.mkdir()
    for i, k in enumerate(pubkeys):
        f = tmp / f"k{i}.asc"
        f.write_text(k)
        subprocess.run(["rpmkeys", "--dbpath", str(db), "--import", str(f)], check=True)
    done = subprocess.run(
        ["rpm", "--dbpath", str(db), "-K", str(path)], capture_output=True, text=True
    )
    return done.stdout.strip()
