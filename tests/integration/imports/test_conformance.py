"""Conformance against real Enterprise Linux dist-git trees (shared/fixtures/distgit): the NEVR
an import records is the one `rpmbuild -bs --define 'dist .elN'` gives the same tree; dmidecode,
whose tarball is not available offline, fails naming its sha256."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.forge.local import LocalForge
from olivine.imports.errors import LookasideMissing
from olivine.imports.service import run_import
from olivine.storage.fs import FsStore
from tests.conftest import FIXTURES
from tests.integration.imports.helpers import TEST_POLICY, commit, init_repo, make_project

DISTGIT = FIXTURES / "distgit" / "openela"
CASES = [(p, b) for p in ("rootfiles", "ocaml-srpm-macros") for b in ("el8", "el9")]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DISTGIT.is_dir(), reason="shared fixtures not present"),
]


def rpmbuild_nvr(tree: Path, pkg: str, dist: str, tmp: Path) -> str:
    top = tmp / "rpmbuild"
    subprocess.run(
        [
            "rpmbuild",
            "-bs",
            "--define",
            f"_topdir {top}",
            "--define",
            f"_sourcedir {tree / 'SOURCES'}",
            "--define",
            f"dist {dist}",
            str(tree / "SPECS" / f"{pkg}.spec"),
        ],
        check=True,
        capture_output=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    (srpm,) = (top / "SRPMS").glob("*.src.rpm")
    return srpm.name.removesuffix(".src.rpm")


def upstream_repo(pkg: str, branch: str, tmp: Path, nvr: str) -> None:
    repo = tmp / "up" / f"{pkg}.git"
    shutil.copytree(DISTGIT / pkg / branch, repo, symlinks=True)
    init_repo(repo, branch=branch)
    commit(repo, {}, f"import {nvr}", tag=f"imports/{branch}/{nvr}")


@pytest.mark.parametrize(("pkg", "branch"), CASES)
def test_nevr_matches_rpmbuild(
    pkg: str, branch: str, tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    major = int(branch[2:])
    dist = f".el{major}"
    expected = rpmbuild_nvr(DISTGIT / pkg / branch, pkg, dist, tmp_path)
    upstream_repo(pkg, branch, tmp_path, expected)
    (tmp_path / "la").mkdir()
    project = make_project(
        db,
        dist=dist,
        vendor={"family": "el", "major": major},
        target={"branch": f"r{major}"},
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": branch,
            "lookaside": (tmp_path / "la").as_uri() + "/{name}/{hash}",
        },
        packages=[{"name": pkg}],
    )
    res = run_import(db, fs_store, LocalForge(tmp_path / "forge"), project, pkg, policy=TEST_POLICY)
    assert res.nevr == expected
    assert res.upstream_ref == f"imports/{branch}/{expected}"
    assert res.forge_tag == f"imports/r{major}/{expected}"


@pytest.mark.parametrize("branch", ["el8", "el9"])
def test_dmidecode_missing_lookaside(
    branch: str, tmp_path: Path, db: Database, fs_store: FsStore
) -> None:
    meta = (DISTGIT / "dmidecode" / branch / ".dmidecode.metadata").read_text().split()
    digest, path = meta[0], meta[1]
    upstream_repo("dmidecode", branch, tmp_path, "dmidecode-3.5-1.el9")
    (tmp_path / "la").mkdir()
    project = make_project(
        db,
        upstream={
            "kind": "dist-git",
            "url": (tmp_path / "up").as_uri() + "/{name}.git",
            "branch": branch,
            "lookaside": (tmp_path / "la").as_uri() + "/{name}/{hash}",
        },
        packages=[{"name": "dmidecode"}],
    )
    forge = LocalForge(tmp_path / "forge")
    with pytest.raises(LookasideMissing) as err:
        run_import(db, fs_store, forge, project, "dmidecode", policy=TEST_POLICY)
    assert digest in err.value.message and path in err.value.message
    assert forge.head("el9", "dmidecode", "r9") is None
