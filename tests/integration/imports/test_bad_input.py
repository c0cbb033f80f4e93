"""Bad input: each a clear, typed error naming what is wrong; the forge and the database
untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models import ImportRevision
from olivine.errors import NotFound, OlivineError
from olivine.forge.local import LocalForge
from olivine.imports.errors import (
    DirectiveError,
    HashMismatch,
    LookasideMissing,
    SpecError,
    UnsafeArchive,
    UpstreamMissing,
)
from olivine.imports.service import ProjectRef, run_import
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import (
    LOOKASIDE_TEMPLATE,
    TEST_POLICY,
    commit,
    init_repo,
    make_project,
    put_lookaside,
    serve_dir,
    spec_text,
)


def distgit(tmp_path: Path, files: dict[str, str | bytes | None]) -> None:
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c9")
    commit(repo, {"SPECS/hello.spec": spec_text(sources=()), **files})


def proj(db: Database, tmp_path: Path, la_url: str | None = None, **extra: object) -> ProjectRef:
    up = {"kind": "dist-git", "url": (tmp_path / "up").as_uri() + "/{name}.git", "branch": "c9"}
    if la_url:
        up["lookaside"] = la_url + LOOKASIDE_TEMPLATE
    return make_project(db, upstream=up, **extra)


def untouched(db: Database, forge: LocalForge) -> None:
    assert forge.head("el9", "hello", "r9") is None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportRevision)) == 0


def test_hash_mismatch(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    la = tmp_path / "la"
    good = put_lookaside(la, "hello", "c9", b"real content", "sha256")
    (la / "hello/c9/sha256" / good).write_bytes(b"tampered content")
    distgit(tmp_path, {".hello.metadata": f"{good} SOURCES/hello-1.0.tar.gz\n"})
    forge = LocalForge(tmp_path / "forge")
    with (
        serve_dir(la) as url,
        pytest.raises(HashMismatch, match=f"SOURCES/hello-1.0.tar.gz.*{good}"),
    ):
        run_import(db, fs_store, forge, proj(db, tmp_path, url), "hello", policy=TEST_POLICY)
    untouched(db, forge)
    assert not fs_store.exists(hashlib.sha256(b"tampered content").hexdigest())


def test_missing_lookaside_names_file_and_hash(
    tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    sha = hashlib.sha256(b"never published").hexdigest()
    distgit(tmp_path, {".hello.metadata": f"{sha} SOURCES/hello-1.0.tar.xz\n"})
    forge = LocalForge(tmp_path / "forge")
    (tmp_path / "la").mkdir()
    with serve_dir(tmp_path / "la") as url, pytest.raises(LookasideMissing) as err:
        run_import(db, fs_store, forge, proj(db, tmp_path, url), "hello", policy=TEST_POLICY)
    assert "SOURCES/hello-1.0.tar.xz" in err.value.message and sha in err.value.message
    untouched(db, forge)


def test_unparsable_spec(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    distgit(tmp_path, {"SPECS/hello.spec": "Name: hello\nVersion 1.0\n"})
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(SpecError, match=r"hello\.spec does not parse: error: line 2"):
        run_import(db, fs_store, forge, proj(db, tmp_path), "hello", policy=TEST_POLICY)
    untouched(db, forge)


def test_missing_upstream_branch_ref_and_package(
    tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    forge = LocalForge(tmp_path / "forge")
    project = proj(db, tmp_path)
    with pytest.raises(UpstreamMissing, match="cannot be cloned"):
        run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    distgit(tmp_path, {})
    with pytest.raises(UpstreamMissing, match="ref nope not found"):
        run_import(db, fs_store, forge, project, "hello", ref="nope", policy=TEST_POLICY)
    with pytest.raises(NotFound, match="not in the catalog"):
        run_import(db, fs_store, forge, project, "bash", policy=TEST_POLICY)
    other = make_project(
        db,
        name="el9x",
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c99",
        },
    )
    with pytest.raises(UpstreamMissing, match="branch c99 not found"):
        run_import(db, fs_store, forge, other, "hello", policy=TEST_POLICY)
    untouched(db, forge)


def test_unsafe_upstream_tree(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c9")
    (repo / "SOURCES").mkdir(parents=True)
    (repo / "SOURCES/evil").symlink_to("/etc/passwd")
    commit(repo, {"SPECS/hello.spec": spec_text(sources=())})
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(UnsafeArchive, match="absolute"):
        run_import(db, fs_store, forge, proj(db, tmp_path), "hello", policy=TEST_POLICY)
    untouched(db, forge)


def test_bad_srpm(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    forge = LocalForge(tmp_path / "forge")
    missing = (tmp_path / "none").as_uri()
    project = make_project(db, upstream={"kind": "srpm", "url": missing + "/{name}.src.rpm"})
    bogus = tmp_path / "hello.src.rpm"
    bogus.write_bytes(b"not an rpm at all")
    with pytest.raises(OlivineError, match="not a readable RPM"):
        run_import(db, fs_store, forge, project, "hello", srpm=bogus, policy=TEST_POLICY)
    with pytest.raises(UpstreamMissing, match=r"SRPM file://.*/none/hello\.src\.rpm not found"):
        run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    untouched(db, forge)


def test_broken_cfg_in_patch_repo(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    distgit(tmp_path, {})
    prepo = init_repo(tmp_path / "patch" / "hello.git")
    commit(prepo, {"ROCKY/CFG/bad.cfg": 'replace {\n  file: "x"\n  with_nothing: "y"\n}\n'})
    forge = LocalForge(tmp_path / "forge")
    project = proj(db, tmp_path, patches={"url": (tmp_path / "patch").as_uri() + "/{name}.git"})
    with pytest.raises(DirectiveError, match=r"ROCKY/CFG/bad.cfg:3.*with_nothing"):
        run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    untouched(db, forge)
