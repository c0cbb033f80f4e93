"""Benchmark: the overhead of Olivine's build layer (sandbox + BuildRequires resolution + build
root) for a package whose %build takes 5 s, against bare `rpmbuild -bs` + `rpmbuild --rebuild`
+ `createrepo_c` of the same spec, in the same run. Targets: under 1.2x and under 1 s.

Measured here: the build layer only (SRPM stage, resolution against a createrepo_c repo, arch
stage, createrepo_c of the result). Submit-to-published through the API and workflows is added
by the end-to-end version.

    .venv/bin/python bench/build_overhead.py [--runs 3] [--sleep 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from olivine.builds.resolve import RepoSource
from olivine.builds.service import ArchRequest, SrpmRequest, build_arch, build_srpm
from olivine.projects.schema import ProjectFile

ROOT = Path(__file__).resolve().parents[1]
SPEC = """Name: slowpkg
Version: 1.0
Release: 1%{{?dist}}
Summary: a package whose build takes {sleep} s
License: MIT
BuildRequires: gcc
BuildRequires: libgreet-devel
Source0: main.c

%description
Benchmark package.

%prep
%setup -q -c -T
cp %{{SOURCE0}} .

%build
gcc -O2 -I%{{_includedir}} -o slowpkg main.c -L%{{_libdir}} -lgreet -static
sleep {sleep}

%install
install -D -m 0755 slowpkg %{{buildroot}}%{{_bindir}}/slowpkg

%files
%{{_bindir}}/slowpkg
"""
MAIN_C = "#include <greet.h>\n#include <stdio.h>\nint main(void){puts(GREET_MESSAGE);return 0;}\n"


def _tree(tmp: Path, sleep: float) -> Path:
    tree = tmp / "slowpkg"
    (tree / "SPECS").mkdir(parents=True)
    (tree / "SOURCES").mkdir()
    (tree / "SPECS" / "slowpkg.spec").write_text(SPEC.format(sleep=sleep))
    (tree / "SOURCES" / "main.c").write_text(MAIN_C)
    return tree


def _project() -> ProjectFile:
    return ProjectFile.model_validate(
        {
            "name": "bench",
            "dist": ".el9",
            "vendor": {"family": "generic"},
            "buildroot": {"host_provides": ["gcc", "make", "glibc-devel"]},
        }
    )


def _devel_repo(tmp: Path) -> Path:
    """The project's `all` repo holding libgreet (built once, before timing)."""
    proj = _project()
    src = ROOT / "examples" / "packages" / "libgreet"
    s = build_srpm(SrpmRequest(proj, "libgreet", src, tmp / "seed"), lambda _: None)
    assert s.srpm is not None, s.reason
    a = build_arch(ArchRequest(proj, "libgreet", s.srpm, "x86_64", tmp / "seed"), lambda _: None)
    assert a.ok, a.reason
    repo = tmp / "all"
    repo.mkdir()
    for p in a.rpms:
        shutil.copy2(p, repo)
    subprocess.run(["createrepo_c", "-q", "--no-database", str(repo)], check=True)
    return repo


def bare(tree: Path, tmp: Path, devel: Path) -> float:
    """rpmbuild as is: it has no build root, so libgreet-devel's unpacked files are named with
    --define _includedir/_libdir (the same compile and link as in Olivine's build root)."""
    top = tmp / "bare"
    # a copy: --rebuild removes the sources from _sourcedir afterwards
    tree = Path(shutil.copytree(tree, tmp / "tree"))
    start = time.monotonic()
    common = [
        "--nodeps",
        "--define",
        f"_topdir {top}",
        "--define",
        "dist .el9",
        "--define",
        f"_sourcedir {tree / 'SOURCES'}",
        "--define",
        f"_includedir {devel}/usr/include",
        "--define",
        f"_libdir {devel}/usr/lib64",
    ]
    subprocess.run(
        ["rpmbuild", "-bs", *common, str(tree / "SPECS" / "slowpkg.spec")],
        check=True,
        capture_output=True,
    )
    srpm = next((top / "SRPMS").glob("*.src.rpm"))
    subprocess.run(["rpmbuild", "--rebuild", *common, str(srpm)], check=True, capture_output=True)
    out = top / "RPMS" / "x86_64"
    subprocess.run(["createrepo_c", "-q", "--no-database", str(out)], check=True)
    return time.monotonic() - start


def olivine(tree: Path, tmp: Path, repo: Path) -> float:
    proj = _project()
    start = time.monotonic()
    s = build_srpm(SrpmRequest(proj, "slowpkg", tree, tmp / "olv"), lambda _: None)
    assert s.srpm is not None, s.reason
    repos = (RepoSource("all", repo, project=True),)
    a = build_arch(
        ArchRequest(proj, "slowpkg", s.srpm, "x86_64", tmp / "olv", repos), lambda _: None
    )
    assert a.ok, a.reason
    subprocess.run(["createrepo_c", "-q", "--no-database", str(a.rpms[0].parent)], check=True)
    return time.monotonic() - start


def _unpack_devel(tmp: Path, repo: Path) -> Path:
    dest = tmp / "devel"
    dest.mkdir()
    for rpm in repo.glob("libgreet-devel-*.rpm"):
        r2c = subprocess.Popen(["rpm2cpio", str(rpm)], stdout=subprocess.PIPE)
        subprocess.run(["cpio", "-idm", "--quiet"], stdin=r2c.stdout, cwd=dest, check=True)
        r2c.wait()
    return dest


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sleep", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="olivine-bench-") as t:
        tmp = Path(t)
        repo = _devel_repo(tmp)
        tree = _tree(tmp, args.sleep)
        devel = _unpack_devel(tmp, repo)
        b, o = [], []
        for i in range(args.runs):
            o.append(olivine(tree, tmp / f"o{i}", repo))
            b.append(bare(tree, tmp / f"b{i}", devel))
    mb, mo = statistics.median(b), statistics.median(o)
    print(f"{'':28} {'median s':>9} {'runs':>5}")
    print(f"{'bare rpmbuild + createrepo':28} {mb:9.2f} {args.runs:5}")
    print(f"{'olivine build layer':28} {mo:9.2f} {args.runs:5}")
    print(f"ratio {mo / mb:.3f}x (target < 1.2x), overhead {mo - mb:+.2f} s (target < 1 s)")
    return 0 if mo / mb < 1.2 and mo - mb < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
