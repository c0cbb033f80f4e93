"""Benchmark: throughput of Olivine's build layer on specs in dependency chains.

N specs (default 300) whose %build takes about 1 s, in levels: each package of level L
BuildRequires its counterpart of level L-1. Two workers. Reference: the same specs built level by
level with `xargs -P2 rpmbuild -ba --nodeps`. Olivine: every SRPM (sandboxed rpmbuild -bs), the
order from their BuildRequires (batch_order), then each arch build (BuildRequires resolved with
libsolv against the `all` repo, build root overlaid, sandboxed rpmbuild --rebuild) started as soon
as the builds it depends on are in `all` (createrepo_c after each build). Target: at least 0.8 of
the reference throughput. The workflow layer (Temporal) is added by the end-to-end version.

    .venv/bin/python bench/build_throughput.py [--count 300] [--levels 10] [--build-seconds 1]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from olivine.builds.resolve import RepoSource
from olivine.builds.service import (
    ArchRequest,
    ArchResult,
    SrpmRequest,
    SrpmResult,
    batch_order,
    build_arch,
    build_srpm,
)
from olivine.projects.schema import ProjectFile

SPEC = """Name: {name}
Version: 1.0
Release: 1
Summary: throughput benchmark package
License: MIT
BuildArch: noarch
{requires}
%description
Benchmark package.

%prep

%build
sleep {seconds}

%install
mkdir -p %{{buildroot}}%{{_datadir}}/{name}
echo {name} > %{{buildroot}}%{{_datadir}}/{name}/data

%files
%{{_datadir}}/{name}/data
"""


def make_specs(root: Path, count: int, levels: int, seconds: float) -> list[list[Path]]:
    width = max(1, count // levels)
    out: list[list[Path]] = []
    for lv in range(levels):
        row: list[Path] = []
        for i in range(width):
            name = f"tp-{lv:02d}-{i:03d}"
            req = f"BuildRequires: tp-{lv - 1:02d}-{i:03d}" if lv else ""
            tree = root / name
            (tree / "SPECS").mkdir(parents=True)
            (tree / "SOURCES").mkdir()
            spec = tree / "SPECS" / f"{name}.spec"
            spec.write_text(SPEC.format(name=name, requires=req, seconds=seconds))
            row.append(spec)
        out.append(row)
    return out


def reference(levels: list[list[Path]], tmp: Path) -> float:
    """Level by level, two at a time, each spec with its own _topdir (as separate hosts would)."""
    script = 'exec rpmbuild -ba --nodeps --quiet --define "_topdir $1.top" "$1"'
    start = time.monotonic()
    for specs in levels:
        proc = subprocess.run(
            ["xargs", "-P2", "-n1", "sh", "-c", script, "sh"],
            input="\n".join(str(s) for s in specs),
            text=True,
            capture_output=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"reference rpmbuild failed: {proc.stderr[-2000:]}")
    return time.monotonic() - start


class Olivine:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.project = ProjectFile.model_validate(
            {"name": "tp", "vendor": {"family": "generic"}, "arches": ["x86_64"]}
        )
        self.repo = tmp / "all"
        self.repo.mkdir(parents=True)
        subprocess.run(["createrepo_c", "-q", "--no-database", str(self.repo)], check=True)
        self.lock = threading.Lock()

    def srpm(self, tree: Path) -> SrpmResult:
        return build_srpm(SrpmRequest(self.project, tree.name, tree, self.tmp / "out"), _quiet)

    def arch(self, srpm: SrpmResult) -> ArchResult:
        assert srpm.srpm and srpm.info
        req = ArchRequest(
            self.project,
            srpm.info.name,
            srpm.srpm,
            "noarch",
            self.tmp / "out",
            (RepoSource("all", self.repo, project=True),),
        )
        res = build_arch(req, _quiet)
        assert res.ok, res.reason
        with self.lock:  # publish into `all`
            for p in res.rpms:
                shutil.copy2(p, self.repo / p.name)
            subprocess.run(
                ["createrepo_c", "-q", "--no-database", "--update", str(self.repo)], check=True
            )
        return res

    def run(self, trees: list[Path]) -> float:
        start = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            srpms = {s.info.name: s for s in pool.map(self.srpm, trees) if s.info}
            order = batch_order(list(srpms.values()))
            deps = {n: set(order.deps.get(n, ())) for n in srpms}
            done: set[str] = set()
            running: dict[Future[ArchResult], str] = {}
            waiting = set(srpms)
            while waiting or running:
                for n in sorted(n for n in waiting if deps[n] <= done):
                    running[pool.submit(self.arch, srpms[n])] = n
                    waiting.discard(n)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for f in finished:
                    f.result()
                    done.add(running.pop(f))
        return time.monotonic() - start


def _quiet(_: str) -> None:
    pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--levels", type=int, default=10)
    ap.add_argument("--build-seconds", type=float, default=1.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="olivine-bench-tp-") as t:
        tmp = Path(t)
        levels = make_specs(tmp / "src", args.count, args.levels, args.build_seconds)
        n = sum(len(lv) for lv in levels)
        ref = reference(levels, tmp / "ref")
        olv = Olivine(tmp / "olv").run([s.parent.parent for lv in levels for s in lv])
    print(f"{n} specs in {len(levels)} levels, %build {args.build_seconds} s, 2 workers")
    print(f"{'':34} {'seconds':>8} {'builds/min':>11}")
    print(f"{'xargs -P2 rpmbuild, level by level':34} {ref:8.1f} {n / ref * 60:11.1f}")
    print(f"{'olivine build layer':34} {olv:8.1f} {n / olv * 60:11.1f}")
    ratio = ref / olv
    print(
        f"throughput ratio {ratio:.3f} (target >= 0.8); per build overhead "
        f"{(olv - ref) / n * 2:+.3f} s"
    )
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
