"""Conformance: a `keep: all` repo served by Olivine and the repo createrepo_c makes from the same
files give identical `dnf repoquery` output, package by package (name, epoch, version, release,
arch, sourcerpm, size, license, requires, provides, obsoletes, conflicts, recommends, files)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from olivine.db.base import Database
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from tests.conftest import FIXTURES
from tests.integration.repos.conftest import Dnf, Served
from tests.unit.repos.helpers import CREATEREPO, PULP, make_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("dnf") is None or shutil.which("createrepo_c") is None,
        reason="dnf and createrepo_c needed",
    ),
]

SPECS = FIXTURES / "ci-dnf-stack" / "specs"
FOLDERS = [
    "dnf-ci-fedora",
    "dnf-ci-rich",
    "dnf-ci-obsoletes",
    "repoquery-weak-deps",
    "dnf-ci-fileconflicts",
]
CACHE = Path(os.environ.get("OLIVINE_TEST_CACHE", "/var/tmp/olivine-test-cache"))
FIELDS = ["name", "epoch", "version", "release", "arch", "sourcerpm", "size", "license"]
LISTS = ["requires", "provides", "obsoletes", "conflicts", "recommends", "files"]
QF = "@@" + "|".join(f"%{{{f}}}" for f in FIELDS) + "".join(f"\n#{f}\n%{{{f}}}" for f in LISTS)


def build_folder(folder: str) -> list[Path]:
    """rpmbuild every spec of a ci-dnf-stack folder as upstream does (cached by content)."""
    specs = sorted((SPECS / folder).glob("*.spec"))
    key = hashlib.sha256(b"".join(s.read_bytes() for s in specs)).hexdigest()[:12]
    out = CACHE / "ci-dnf-stack" / f"{folder}-{key}"
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        for spec in specs:
            target = "i686" if "i686" in spec.name else "x86_64"
            opts = spec.with_name(spec.name + ".rpmbuild_opts")
            extra = opts.read_text().split() if opts.exists() else []
            subprocess.run(
                [
                    "rpmbuild",
                    "-ba",
                    "--nodeps",
                    "--define",
                    f"_topdir {out}",
                    "--define",
                    "dist .fc29",
                    "--define",
                    "_binary_payload w1.gzdio",
                    "--define",
                    "_buildshell /bin/bash",
                    "--define",
                    "_build_id_links none",
                    "--target",
                    target,
                    *extra,
                    str(spec),
                ],
                check=False,
                capture_output=True,
                env={**os.environ, "LC_ALL": "C"},
            )
        (out / ".complete").write_text("ok\n")
    return sorted(out.glob("RPMS/*/*.rpm")) + sorted(out.glob("SRPMS/*.rpm"))


def records(text: str) -> list[str]:
    recs = []
    for block in text.split("@@")[1:]:
        head, *parts = block.split("\n#")
        lists = ["\n".join(sorted(p.strip().splitlines()[1:])) for p in parts]
        recs.append(
            head.strip() + "\n" + "\n".join(f"{n}: {v}" for n, v in zip(LISTS, lists, strict=True))
        )
    return sorted(recs)


def repoquery(dnf: Dnf, urls: list[str]) -> list[str]:
    repos = [f"--repofrompath=r{i},{u}" for i, u in enumerate(urls)]
    proc = subprocess.run(
        [
            "dnf",
            "-q",
            f"--installroot={dnf.root}",
            "--releasever=29",
            "--setopt=reposdir=/dev/null",
            "--setopt=skip_if_unavailable=False",
            "--nogpgcheck",
            *repos,
            "repoquery",
            "--qf",
            QF,
            "--refresh",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(dnf.home)},
    )
    return records(proc.stdout)


def compare(db: Database, served: Served, dnf: Dnf, name: str, rpms: list[Path], tmp: Path) -> int:
    pid = make_project(
        db,
        name,
        repositories=[
            {"name": "All", "keep": "all", "multilib": ["x86_64"], "additional_multilib": ["*"]}
        ],
    )
    for rpm in rpms:
        ingest_rpm(db, served.store, rpm, pid)
    publish_project(db, served.store, pid)
    ref = tmp / name
    (ref / "Packages").mkdir(parents=True)
    for rpm in rpms:
        shutil.copy(rpm, ref / "Packages" / rpm.name)
    subprocess.run(
        ["createrepo_c", "--no-database", "--general-compress-type=gz", str(ref)],
        check=True,
        capture_output=True,
    )
    base = f"{served.url}/repos/{name}/All"
    ours = repoquery(dnf, [f"{base}/x86_64/", f"{base}/x86_64-debug/", f"{base}/source/"])
    theirs = repoquery(dnf, [f"file://{ref}"])
    assert ours == theirs
    assert any("\nfiles: /" in r for r in ours)  # the fields really were compared
    return len(ours)


def test_fixture_rpms(db: Database, served: Served, dnf: Dnf, tmp_path: Path) -> None:
    dupes = {
        "empty-signed-eddsa-0-0.x86_64.rpm",
        "empty-signed-rsa-0-0.x86_64.rpm",
        "empty-signed-v6-multiple-0-0.x86_64.rpm",
    }  # same NEVRA as empty-0-0.x86_64
    rpms = [p for p in sorted(CREATEREPO.glob("*.rpm")) if p.name not in dupes]
    assert compare(db, served, dnf, "crc", rpms, tmp_path) == len(rpms)
    pulp = sorted(PULP.glob("*.rpm"))
    assert compare(db, served, dnf, "pulp", pulp, tmp_path) == len(pulp)


@pytest.mark.parametrize("folder", FOLDERS)
def test_ci_dnf_stack(db: Database, served: Served, dnf: Dnf, tmp_path: Path, folder: str) -> None:
    rpms = build_folder(folder)
    assert rpms, f"nothing built from {folder}"
    assert compare(db, served, dnf, folder.lower().replace("_", "-"), rpms, tmp_path) == len(rpms)
