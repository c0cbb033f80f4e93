"""The other upstream kinds: dist-git-flat (rpmautospec), srpm (file and URL), src-git."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

from olivine.db.base import Database
from olivine.forge.local import LocalForge
from olivine.imports.service import run_import
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

AUTOSPEC = """\
Name: hello
Version: 2.0
Release: %autorelease
Summary: Hello
License: MIT
BuildArch: noarch
Source0: hello-2.0.tar.gz
Source1: extra.txt
Patch0: 0001-fix.patch
%description
Hi.
%prep
%files
%changelog
%autochangelog
"""


def tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_flat_layout_with_autorelease(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    la = tmp_path / "la"
    tgz = tarball({"hello-2.0/README": b"hi\n"})
    extra = b"extra source\n"
    sha512 = put_lookaside(la, "hello", "c10s", tgz, "sha512")
    md5 = put_lookaside(la, "hello", "c10s", extra, "md5")
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c10s")
    sources = f"SHA512 (hello-2.0.tar.gz) = {sha512}\n{md5}  extra.txt\n"
    files: dict[str, str | bytes | None] = {
        "hello.spec": AUTOSPEC,
        "sources": sources,
        "0001-fix.patch": "fix\n",
        ".gitignore": "/*.tar.gz\n",
        "gating.yaml": "x\n",
        "plans/smoke.fmf": "y\n",
    }
    commit(repo, files, "first", date=1_700_000_000)
    commit(repo, {"0001-fix.patch": "fix 2\n"}, "second", date=1_700_000_100)
    commit(repo, {"0001-fix.patch": "fix 3\n"}, "third", date=1_700_000_200)
    with serve_dir(la) as url:
        project = make_project(
            db,
            upstream={
                "kind": "dist-git-flat",
                "url": (tmp_path / "up").as_uri() + "/{name}.git",
                "branch": "c10s",
                "lookaside": url + LOOKASIDE_TEMPLATE,
            },
        )
        forge = LocalForge(tmp_path / "forge")
        res = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert res.nevr == "hello-2.0-3.el9"  # three commits: %autorelease is 3
    files_in_forge = forge.list_files("el9", "hello", res.forge_commit)
    assert files_in_forge == [".hello.metadata", "SOURCES/0001-fix.patch", "SPECS/hello.spec"]
    spec = forge.read_file("el9", "hello", res.forge_commit, "SPECS/hello.spec").decode()
    assert spec.startswith("## START: Set by rpmautospec") and "release_number = 3;" in spec
    assert "- third" in spec  # %autochangelog resolved from the commit messages
    meta = forge.read_file("el9", "hello", res.forge_commit, ".hello.metadata").decode()
    assert f"{hashlib.sha256(extra).hexdigest()} SOURCES/extra.txt" in meta
    assert f"{hashlib.sha256(tgz).hexdigest()} SOURCES/hello-2.0.tar.gz" in meta
    kinds = {e["path"]: e["hashtype"] for e in res.lookaside}
    assert kinds == {"SOURCES/extra.txt": "md5", "SOURCES/hello-2.0.tar.gz": "sha512"}


def build_srpm(tmp_path: Path) -> Path:
    top = tmp_path / "rpmbuild"
    (top / "SOURCES").mkdir(parents=True)
    (top / "SOURCES/hello-1.0.tar.gz").write_bytes(tarball({"hello-1.0/README": b"hi\n"}))
    (top / "SOURCES/fix.patch").write_text("--- a\n+++ b\n")
    spec = top / "hello.spec"
    spec.write_text(spec_text(release="4%{?dist}", patches=("fix.patch",)))
    subprocess.run(
        ["rpmbuild", "-bs", "--define", f"_topdir {top}", "--define", "dist .el9", str(spec)],
        check=True,
        capture_output=True,
    )
    return next((top / "SRPMS").glob("*.src.rpm"))


def test_srpm_from_file_and_url(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    srpm = build_srpm(tmp_path)
    forge = LocalForge(tmp_path / "forge")
    project = make_project(
        db, upstream={"kind": "srpm", "url": "file:///nonexistent/{name}.src.rpm"}
    )
    res = run_import(db, fs_store, forge, project, "hello", srpm=srpm, policy=TEST_POLICY)
    assert res.nevr == "hello-1.0-4.el9" and res.upstream_kind == "srpm"
    digest = hashlib.sha256(srpm.read_bytes()).hexdigest()
    assert res.upstream_commit == digest and fs_store.exists(digest)
    assert forge.list_files("el9", "hello", res.forge_commit) == [
        ".hello.metadata",
        "SOURCES/fix.patch",
        "SPECS/hello.spec",
    ]
    assert [e["path"] for e in res.lookaside] == ["SOURCES/hello-1.0.tar.gz"]

    with serve_dir(srpm.parent) as url:
        other = make_project(
            db, name="el9b", upstream={"kind": "srpm", "url": url + "/" + srpm.name}
        )
        res2 = run_import(db, fs_store, forge, other, "hello", policy=TEST_POLICY)
    assert res2.nevr == res.nevr
    assert (
        forge.commit_info("el9b", "hello", res2.forge_commit).tree
        == forge.commit_info("el9", "hello", res.forge_commit).tree
    )


def test_src_git_reproducible_tarball(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    repo = init_repo(tmp_path / "up" / "hello.git")
    spec = spec_text(version="3.1", sources=("%{name}-%{version}.tar.gz",), patches=("a.patch",))
    commit(
        repo,
        {
            "hello.spec": spec,
            "src/main.c": "int main(){return 0;}\n",
            "Makefile": "all:\n",
            "SOURCES/a.patch": "patch\n",
        },
    )
    project = make_project(
        db, upstream={"kind": "src-git", "url": (tmp_path / "up").as_uri() + "/{name}.git"}
    )
    forge = LocalForge(tmp_path / "forge")
    res = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert res.nevr == "hello-3.1-1.el9"
    assert forge.list_files("el9", "hello", res.forge_commit) == [
        ".hello.metadata",
        "SOURCES/a.patch",
        "SPECS/hello.spec",
    ]
    (blob,) = res.lookaside
    assert blob["path"] == "SOURCES/hello-3.1.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(fs_store.get_bytes(blob["sha256"]))) as tar:
        assert sorted(tar.getnames()) == [
            "hello-3.1",
            "hello-3.1/Makefile",
            "hello-3.1/src",
            "hello-3.1/src/main.c",
        ]
    # a new upstream commit with the same tree gives the same tarball: nothing changes
    commit(repo, {}, "empty", date=1_800_000_000)
    again = run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert again.status == "unchanged" and again.lookaside[0]["sha256"] == blob["sha256"]
