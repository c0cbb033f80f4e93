"""dist-git imports end to end: real git upstreams, lookaside over HTTP, the local forge, the
database. Checks forge commit, tag, tree, message and the recorded revision."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models import ImportRevision, PackageVersion
from olivine.forge.local import LocalForge
from olivine.imports import records
from olivine.imports.service import ProjectRef, defines_for, run_import
from olivine.imports.specs import defines_digest
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

TARBALL = b"hello tarball\n" * 512


@pytest.fixture
def lookaside(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "lookaside"
    root.mkdir()
    with serve_dir(root) as url:
        yield root, url


def distgit_upstream(tmp_path: Path, la_root: Path) -> Path:
    sha = put_lookaside(la_root, "hello", "c9", TARBALL)
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c9")
    meta = f"{sha} SOURCES/hello-1.0.tar.gz\n"
    commit(
        repo,
        {
            "SPECS/hello.spec": spec_text(release="9%{?dist}"),
            ".hello.metadata": meta,
            "SOURCES/fix.patch": "fix\n",
        },
        date=1_700_000_000,
        tag="imports/c9/hello-1.0-9.el9",
    )
    commit(
        repo,
        {"SPECS/hello.spec": spec_text(release="10%{?dist}", extra="BuildRequires: gcc >= 4")},
        date=1_700_000_100,
        tag="imports/c9/hello-1.0-10.el9",
    )
    # older version tagged later: rpm order wins over tag date
    commit(
        repo,
        {"SPECS/hello.spec": spec_text(version="0.9", release="99%{?dist}")},
        date=1_700_000_200,
        tag="imports/c9/hello-0.9-99.el9",
    )
    commit(repo, {"SPECS/hello.spec": spec_text(release="11%{?dist}")}, date=1_700_000_300)
    return repo


def project_for(db: Database, tmp_path: Path, la_url: str, **extra: object) -> ProjectRef:
    upstream = {
        "kind": "dist-git",
        "url": (tmp_path / "up").as_uri() + "/{name}.git",
        "branch": "c9",
        "lookaside": la_url + LOOKASIDE_TEMPLATE,
    }
    return make_project(db, upstream=upstream, **extra)


def test_distgit_import_pins_everything(
    tmp_path: Path, db: Database, fs_store: FsStore, lookaside: tuple[Path, str]
) -> None:
    la_root, la_url = lookaside
    up = distgit_upstream(tmp_path, la_root)
    project = project_for(db, tmp_path, la_url)
    forge = LocalForge(tmp_path / "forge")
    logs: list[str] = []
    res = run_import(
        db,
        fs_store,
        forge,
        project,
        "hello",
        submitter_id=None,
        log=logs.append,
        policy=TEST_POLICY,
    )

    tag_commit = subprocess_rev(up, "imports/c9/hello-1.0-10.el9^{commit}")
    assert res.status == "imported"
    assert (res.nevr, res.release) == ("hello-1.0-10.el9", "10.el9")
    assert res.upstream_ref == "imports/c9/hello-1.0-10.el9"
    assert res.upstream_commit == tag_commit
    assert res.forge_tag == "imports/r9/hello-1.0-10.el9"
    assert forge.head("el9", "hello", "r9") == res.forge_commit
    assert forge.tag_info("el9", "hello", res.forge_tag).commit == res.forge_commit  # type: ignore[union-attr]
    assert forge.list_files("el9", "hello", res.forge_commit) == [
        ".hello.metadata",
        "SOURCES/fix.patch",
        "SPECS/hello.spec",
    ]
    sha256 = hashlib.sha256(TARBALL).hexdigest()
    meta = forge.read_file("el9", "hello", res.forge_commit, ".hello.metadata").decode()
    assert meta == f"{sha256} SOURCES/hello-1.0.tar.gz\n"
    assert fs_store.get_bytes(sha256) == TARBALL
    msg = forge.commit_info("el9", "hello", res.forge_commit).message
    assert f"Upstream: {(tmp_path / 'up').as_uri()}/hello.git" in msg
    assert "Upstream-Branch: c9" in msg and f"Upstream-Commit: {tag_commit}" in msg
    rev = records.get_revision(db, project.id, "hello", None)
    assert rev.id == res.revision_id and rev.forge_commit == res.forge_commit
    assert rev.lookaside[0]["sha256"] == sha256 and rev.lookaside[0]["hashtype"] == "sha512"
    assert any("lookaside" in line for line in logs)
    with db.session() as s:  # what a build batch is ordered by, as the sandbox's rpm read it
        facts = s.get(ImportRevision, res.revision_id).spec_facts  # type: ignore[union-attr]
    assert facts["build_requires"] == ["gcc >= 4"]
    assert "hello = 1.0-10.el9" in facts["provides"]
    assert facts["defines"] == defines_digest(defines_for(project.file, "hello"))
    arch_tags = {"exclusive_arch": [], "exclude_arch": [], "build_archs": ["noarch"]}
    assert facts["arch_tags"] == arch_tags  # a batch plans its arch builds from them

    again = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert again.status == "unchanged" and again.forge_commit == res.forge_commit
    assert again.revision_id == res.revision_id
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportRevision)) == 1

    # --ref: an older tag; the lookaside is found in the store even with the server's copy gone
    for f in la_root.rglob("*"):
        if f.is_file():
            f.unlink()
    old = run_import(
        db, fs_store, forge, project, "hello", ref="imports/c9/hello-1.0-9.el9", policy=TEST_POLICY
    )
    assert old.status == "imported" and old.nevr == "hello-1.0-9.el9"
    assert forge.commit_info("el9", "hello", old.forge_commit).parents == (res.forge_commit,)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(PackageVersion)) == 2
    hist = records.history(db, project.id, "hello")
    assert [h.nevr for h in hist] == ["hello-1.0-9.el9", "hello-1.0-10.el9"]

    # back to the newest: that tree is already tagged, so nothing is written
    back = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert back.status == "unchanged" and back.forge_commit == res.forge_commit
    assert forge.head("el9", "hello", "r9") == old.forge_commit


def test_branch_head_without_tags(
    tmp_path: Path, db: Database, fs_store: FsStore, lookaside: tuple[Path, str]
) -> None:
    _, la_url = lookaside
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c9")
    head = commit(repo, {"SPECS/hello.spec": spec_text(sources=())})
    project = project_for(db, tmp_path, la_url)
    res = run_import(
        db, fs_store, LocalForge(tmp_path / "forge"), project, "hello", policy=TEST_POLICY
    )
    assert res.upstream_ref == "c9" and res.upstream_commit == head
    assert res.nevr == "hello-1.0-1.el9" and res.lookaside == []


def subprocess_rev(repo: Path, rev: str) -> str:
    from tests.integration.imports.helpers import git

    return git(repo, "rev-parse", rev)
