"""Links in an imported tree: a chain of relative symlinks whose links each look harmless but
together lead out of the tree (to `/` at build time) fails the import as UnsafeArchive naming
the link; archives too deep, too many or too large are refused the same way."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.forge.local import LocalForge
from olivine.imports.archive import ArchiveLimits, check_tree, extract_cpio, extract_tar
from olivine.imports.errors import UnsafeArchive
from olivine.imports.service import run_import
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import (
    TEST_POLICY,
    git,
    init_repo,
    make_project,
    spec_text,
    write_files,
)


def test_symlink_chain_in_distgit_sources_is_refused(
    tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    repo = init_repo(tmp_path / "up" / "hello.git", "c9")
    write_files(repo, {"SPECS/hello.spec": spec_text(sources=())})
    # checked alone each stays inside: `a` (b missing yet) and `b` (-> .); together a -> ../..
    (repo / "SOURCES").mkdir()
    os.symlink("b/../..", repo / "SOURCES" / "a")
    os.symlink(".", repo / "SOURCES" / "b")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    git(repo, "tag", "imports/c9/hello-1.0-1.el9")
    project = make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
    )
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(UnsafeArchive, match=r"link 'SOURCES/a' -> 'b/\.\./\.\.' resolves outside"):
        run_import(db, fs_store, forge, project, "hello", policy=TEST_POLICY)
    assert not forge.exists("el9", "hello")


def test_check_tree_follows_every_link_of_a_chain(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "SOURCES" / "d").mkdir(parents=True)
    os.symlink("d/e", root / "SOURCES" / "c")  # dangling, inside: fine
    os.symlink("../SPECS", root / "SOURCES" / "specs")  # inside: fine
    check_tree(root, "t")
    os.symlink("l2/../../../..", root / "SOURCES" / "l1")
    os.symlink("l3", root / "SOURCES" / "l2")
    os.symlink("d", root / "SOURCES" / "l3")
    with pytest.raises(UnsafeArchive, match="'SOURCES/l1'"):
        check_tree(root, "t")
    os.unlink(root / "SOURCES" / "l1")
    os.mkfifo(root / "SOURCES" / "fifo")
    with pytest.raises(UnsafeArchive, match="'SOURCES/fifo' is a device, fifo or socket"):
        check_tree(root, "t")


def _tar(members: list[tuple[str, bytes]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def _cpio(members: list[tuple[str, bytes]]) -> io.BytesIO:
    out = io.BytesIO()
    for name, data in [*members, ("TRAILER!!!", b"")]:
        raw = name.encode() + b"\0"
        fields = [0, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + raw)
        out.write(b"\0" * ((-(110 + len(raw))) % 4) + data + b"\0" * ((-len(data)) % 4))
    out.seek(0)
    return out


@pytest.mark.parametrize("extract,make", [(extract_tar, _tar), (extract_cpio, _cpio)])
def test_archive_caps(extract: object, make: object, tmp_path: Path) -> None:
    deep = "/".join(["d"] * 2000) + "/f"
    cases = [
        ([(deep, b"x")], ArchiveLimits(), "deeper than 64 levels"),
        ([(f"f{i}", b"") for i in range(20)], ArchiveLimits(max_members=10), "more than 10"),
        ([("big", b"x" * 5000)], ArchiveLimits(max_bytes=4096), "larger than 4096 bytes"),
    ]
    for n, (members, limits, problem) in enumerate(cases):
        with pytest.raises(UnsafeArchive, match=problem):
            extract("a.src.rpm", make(members), tmp_path / str(n), limits)  # type: ignore[operator]


def test_patch_that_plants_a_link_out_of_the_tree_writes_nothing_outside(
    tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    """A patch directive creates `SOURCES/x -> <host file>`; a later directive file would
    replace `SOURCES/x` and so write the host file: the import stops at the link."""
    target = tmp_path / "host-file"
    target.write_text("untouched\n")
    up = init_repo(tmp_path / "up" / "hello.git", "c9")
    write_files(up, {"SPECS/hello.spec": spec_text(sources=())})
    git(up, "add", "-A")
    git(up, "commit", "-q", "-m", "spec")
    git(up, "tag", "imports/c9/hello-1.0-1.el9")
    link_patch = (
        "diff --git a/SOURCES/x b/SOURCES/x\nnew file mode 120000\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/SOURCES/x\n@@ -0,0 +1 @@\n+{target}\n"
        "\\ No newline at end of file\n"
    )
    patch = init_repo(tmp_path / "patch" / "hello.git", "main")
    write_files(
        patch,
        {
            "PATCHES/a.yaml": "patch:\n  - file: PATCHES/link.diff\n    strict: true\n",
            "PATCHES/link.diff": link_patch,
            "PATCHES/b.yaml": "replace:\n  - file: SOURCES/x\n    with_inline: pwned\n",
        },
    )
    git(patch, "add", "-A")
    git(patch, "commit", "-q", "-m", "patches")
    project = make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
        patches={"url": (tmp_path / "patch").as_uri() + "/{name}.git", "branch": "main"},
    )
    with pytest.raises(UnsafeArchive, match="'SOURCES/x'"):
        run_import(
            db, fs_store, LocalForge(tmp_path / "forge"), project, "hello", policy=TEST_POLICY
        )
    assert target.read_text() == "untouched\n"
