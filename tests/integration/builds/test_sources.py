"""Build sources come only from an import revision: the forge commit plus lookaside blobs."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from olivine.builds.sources import checkout_revision, find_revision
from olivine.db.base import Database
from olivine.db.models import ImportRevision, Package, Project
from olivine.errors import IntegrityFailure, NotFound
from olivine.forge.local import LocalForge
from olivine.storage.fs import FsStore

from .conftest import EXAMPLES, Builder, project


def _import(
    db: Database, forge: LocalForge, store: FsStore, tmp: Path, lookaside_path: str
) -> tuple[str, str, int, str]:
    tag = uuid.uuid4().hex[:6]
    proj, pkg = f"demo-{tag}", "libgreet"
    tree = Path(shutil.copytree(EXAMPLES / pkg, tmp / "tree"))
    blob = tree / "SOURCES" / "greet.c"
    put = store.put_file(blob)
    blob.unlink()  # lookaside: in the store, not in git
    res = forge.commit_tree(proj, pkg, "main", tree, "import", tag=f"imports/main/{pkg}-1.0-1")
    with db.session() as s:
        p = Project(name=proj, spec={}, spec_sha256="0" * 64)
        k = s.scalar(select(Package).where(Package.name == pkg))
        k = k or Package(name=pkg)
        s.add_all([p, k])
        s.flush()
        rev = ImportRevision(
            project_id=p.id,
            package_id=k.id,
            upstream_kind="dist-git",
            upstream_url="file:///u",
            forge_repo=f"{proj}/rpms/{pkg}",
            forge_branch="main",
            forge_commit=res.commit,
            forge_tag=f"imports/main/{pkg}-1.0-1",
            version="1.0",
            release="1",
            lookaside=[{"path": lookaside_path, "sha256": put.sha256, "size": put.size}],
        )
        s.add(rev)
        s.flush()
        return proj, pkg, rev.id, res.commit


def test_checkout_of_latest_import_builds(db: Database, fs_store: FsStore, tmp_path: Path) -> None:
    forge = LocalForge(tmp_path / "forge")
    proj, pkg, rev_id, commit = _import(db, forge, fs_store, tmp_path, "SOURCES/greet.c")
    ref = find_revision(db, proj, pkg)
    assert ref.id == rev_id and ref.forge_commit == commit and ref.nevr == "libgreet-1.0-1"
    assert find_revision(db, proj, pkg, scm_hash=commit[:8]).id == rev_id
    tree = checkout_revision(db, forge, fs_store, rev_id, tmp_path / "checkout")
    assert (tree / "SOURCES" / "greet.c").read_bytes() == (
        EXAMPLES / "libgreet" / "SOURCES" / "greet.c"
    ).read_bytes()
    srpm, _ = Builder(tmp_path, project()).srpm(tree, "libgreet")
    assert srpm.ok and srpm.info is not None and srpm.info.nvr == "libgreet-1.0-1.el9"


def test_builds_from_anything_else_are_refused(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    forge = LocalForge(tmp_path / "forge")
    proj, pkg, _, _ = _import(db, forge, fs_store, tmp_path, "SOURCES/greet.c")
    with pytest.raises(NotFound, match="no import in project"):
        find_revision(db, proj, "never-imported")
    with pytest.raises(NotFound, match="no import at forge commit deadbeef"):
        find_revision(db, proj, pkg, scm_hash="deadbeef")


def test_lookaside_path_escaping_the_tree_is_refused(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    forge = LocalForge(tmp_path / "forge")
    _, _, rev_id, _ = _import(db, forge, fs_store, tmp_path, "../../etc/evil")
    with pytest.raises(IntegrityFailure, match="leaves the source tree"):
        checkout_revision(db, forge, fs_store, rev_id, tmp_path / "checkout")
