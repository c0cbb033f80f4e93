"""Make (once) the benchmark corpus of real RPMs: 20 specs x 1000 noarch subpackages, 12 files
each, plus one extra package for the "+1" benchmark. Cached in /var/tmp/olivine-bench-cache.

Run: .venv/bin/python bench/repos_corpus.py [--specs 20] [--subpackages 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CACHE = Path(os.environ.get("OLIVINE_BENCH_CACHE", "/var/tmp/olivine-bench-cache"))
FILES_PER_PACKAGE = 12


def spec_text(name: str, subpackages: int, version: str = "1.0") -> str:
    head = [
        f"Name: {name}",
        f"Version: {version}",
        "Release: 1",
        f"Summary: Olivine benchmark spec {name}",
        "License: MIT",
        "BuildArch: noarch",
        "",
        "%description",
        f"Benchmark corpus spec {name}.",
        "",
    ]
    subs, files = [], []
    for i in range(subpackages):
        pkg = f"{name}-p{i:04d}"
        subs += [
            f"%package -n {pkg}",
            f"Summary: benchmark package {pkg}",
            f"Requires: {name}-p{(i + 1) % subpackages:04d}",
            f"Provides: {pkg}-cap = {version}",
            "",
            f"%description -n {pkg}",
            f"Package {pkg} of the Olivine benchmark corpus.",
            "",
        ]
        files += [f"%files -n {pkg}", f"/usr/share/{pkg}", ""]
    install = [
        "%install",
        f"for i in $(seq 0 {subpackages - 1}); do",
        f"  d=%{{buildroot}}/usr/share/{name}-p$(printf %04d $i)",
        '  mkdir -p "$d"',
        f'  for f in $(seq 1 {FILES_PER_PACKAGE - 1}); do echo $i-$f > "$d/file$f.txt"; done',
        "done",
        "",
    ]
    return (
        "\n".join(head + subs + install + files)
        + "\n%changelog\n* Mon Jan 01 2024 Bench <b@example.org> - 1.0-1\n- corpus\n"
    )


def build(spec: Path, top: Path) -> None:
    subprocess.run(
        [
            "rpmbuild",
            "-bb",
            "--nodeps",
            "--define",
            f"_topdir {top}",
            "--define",
            "_buildshell /bin/bash",
            "--define",
            "_build_id_links none",
            str(spec),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C"},
    )


def make_corpus(specs: int, subpackages: int) -> Path:
    out = CACHE / f"corpus-{specs}x{subpackages}"
    done = out / ".complete"
    if done.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    rpms = out / "rpms"
    rpms.mkdir(parents=True)

    def one(i: int) -> None:
        top = out / "build" / f"s{i:02d}"
        (top / "SPECS").mkdir(parents=True)
        spec = top / "SPECS" / f"bench{i:02d}.spec"
        spec.write_text(spec_text(f"bench{i:02d}", subpackages))
        build(spec, top)
        for rpm in (top / "RPMS" / "noarch").glob("*.rpm"):
            rpm.rename(rpms / rpm.name)
        shutil.rmtree(top)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(one, range(specs)))
    extra = out / "extra"
    top = out / "build" / "extra"
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / "benchextra.spec"
    spec.write_text(spec_text("benchextra", 1))
    build(spec, top)
    extra.mkdir()
    for rpm in (top / "RPMS" / "noarch").glob("*.rpm"):
        rpm.rename(extra / rpm.name)
    shutil.rmtree(out / "build")
    done.write_text("ok\n")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=20)
    ap.add_argument("--subpackages", type=int, default=1000)
    a = ap.parse_args()
    out = make_corpus(a.specs, a.subpackages)
    print(out, len(list((out / "rpms").glob("*.rpm"))), "RPMs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
