"""Imports with a patch repository: common directives on `main`, per-branch ones on the target
branch, in both formats; the result in the forge, the NEVR, the message, and import diff."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.forge.local import LocalForge
from olivine.imports.diff import import_diff
from olivine.imports.service import run_import
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import (
    TEST_POLICY,
    commit,
    git,
    init_repo,
    make_project,
    spec_text,
)

CFG = """\
replace {
  file: "SOURCES/logo.txt"
  with_file: "ROCKY/_supporting/logo.txt"
}
add {
  file: "ROCKY/_supporting/0100-debrand.patch"
}
spec_change {
  file {
    name: "0100-debrand.patch"
    type: Patch
    add: true
    add_to_prep: true
    n_path: 1
  }
  search_and_replace {
    field: "Summary"
    find: "Red Hat"
    replace: "Olivine"
    n: -1
  }
}
"""

BRANCH_YAML = """\
delete:
  - file: SOURCES/unwanted.txt
patch:
  - file: PATCHES/readme.diff
spec:
  search_and_replace:
    - {field: Release, find: "%{?dist}", replace: ".olv%{?dist}"}
  changelog:
    - author_name: Olivine Release Engineering
      author_email: releng@example.org
      message: [Debrand for Olivine]
"""


def upstream(tmp_path: Path) -> str:
    repo = init_repo(tmp_path / "up" / "hello.git", branch="c9")
    return commit(
        repo,
        {
            "SPECS/hello.spec": spec_text(release="2%{?dist}", sources=("logo.txt", "README")),
            "SOURCES/logo.txt": "red hat logo\n",
            "SOURCES/README": "upstream readme\n",
            "SOURCES/unwanted.txt": "x\n",
        },
        date=1_700_000_000,
        tag="imports/c9/hello-1.0-2.el9",
    )


def patch_repo(tmp_path: Path, branch_yaml: str = BRANCH_YAML) -> Path:
    repo = init_repo(tmp_path / "patch" / "hello.git", branch="main")
    commit(
        repo,
        {
            "ROCKY/CFG/debrand.cfg": CFG,
            "ROCKY/_supporting/logo.txt": "olivine logo\n",
            "ROCKY/_supporting/0100-debrand.patch": "--- a/x\n+++ b/x\n",
        },
        date=1_710_000_000,
    )
    git(repo, "checkout", "-q", "-b", "r9")
    commit(
        repo,
        {
            "PATCHES/r9.yaml": branch_yaml,
            "PATCHES/readme.diff": "--- a/README\n+++ b/README\n@@ -1 +1 @@\n"
            "-upstream readme\n+olivine readme\n",
        },
        date=1_720_000_000,
    )
    git(repo, "checkout", "-q", "main")
    return repo


def project(db: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": "c9",
        },
        patches={"url": (tmp_path / "patch").as_uri() + "/{name}.git"},
    )


def test_common_and_branch_directives(tmp_path: Path, db: Database, fs_store: FsStore) -> None:
    up_commit = upstream(tmp_path)
    prepo = patch_repo(tmp_path)
    r9_commit = git(prepo, "rev-parse", "r9")
    forge = LocalForge(tmp_path / "forge")
    proj = project(db, tmp_path)
    res = run_import(db, fs_store, forge, proj, "hello", policy=TEST_POLICY)
    assert res.nevr == "hello-1.0-2.olv.el9"
    assert res.forge_tag == "imports/r9/hello-1.0-2.olv.el9"
    assert res.patch_commit == r9_commit and res.upstream_commit == up_commit
    read = lambda p: forge.read_file("el9", "hello", res.forge_commit, p).decode()  # noqa: E731
    assert read("SOURCES/logo.txt") == "olivine logo\n"
    assert read("SOURCES/README") == "olivine readme\n"
    assert "SOURCES/unwanted.txt" not in forge.list_files("el9", "hello", res.forge_commit)
    spec = read("SPECS/hello.spec")
    assert "Summary: Hello from Olivine" in spec
    assert "Patch0:  0100-debrand.patch" in spec and "\n%patch -P0 -p1\n\n%files" in spec
    day = datetime.fromtimestamp(1_720_000_000, UTC).strftime("%a %b %d %Y")
    assert f"* {day} Olivine Release Engineering <releng@example.org> - 1.0-2.olv" in spec
    msg = forge.commit_info("el9", "hello", res.forge_commit).message
    assert f"Patch-Commit: {r9_commit}" in msg and "Patches: " in msg

    diff = import_diff(db, proj.id, "hello")
    assert "-red hat logo" in diff and "+olivine logo" in diff
    assert "+Summary: Hello from Olivine" in diff

    # deterministic: the same upstream and patches give the same tree, whatever the day
    assert run_import(db, fs_store, forge, proj, "hello", policy=TEST_POLICY).status == "unchanged"


@pytest.mark.parametrize(
    ("branch_yaml", "words"),
    [
        ("delete:\n  - file: SOURCES/nope.txt\n", "patch directive delete (PATCHES/r9.yaml:2)"),
        (
            "spec:\n  search_and_replace:\n    - {field: Release, find: nowhere, replace: x}\n",
            "patch directive search_and_replace (PATCHES/r9.yaml:3)",
        ),
        (
            "patch:\n  - file: PATCHES/readme.diff\n  - file: PATCHES/readme.diff\n",
            "patch directive patch (PATCHES/r9.yaml:3): PATCHES/readme.diff does not apply",
        ),
    ],
)
def test_broken_directive_leaves_forge_untouched(
    tmp_path: Path, db: Database, fs_store: FsStore, branch_yaml: str, words: str
) -> None:
    from olivine.imports.errors import DirectiveError

    upstream(tmp_path)
    patch_repo(tmp_path, branch_yaml)
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(DirectiveError) as err:
        run_import(db, fs_store, forge, project(db, tmp_path), "hello", policy=TEST_POLICY)
    assert words in err.value.message
    assert forge.head("el9", "hello", "r9") is None
