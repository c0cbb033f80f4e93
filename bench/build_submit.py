"""Benchmark: submit-to-published of a package whose %build takes 5 s, through the whole stack
(API -> Temporal Build workflow -> worker: SRPM, arch build, ingest -> Publisher -> `all` holds
it), against bare `rpmbuild -bs` + `rpmbuild --rebuild` + `createrepo_c` of the same spec.
Targets: under 1.2x and under 1 s of overhead.

Starts its own Temporal dev server, SQLite database, worker (in a thread) and app (in-process
HTTP client), in a temporary data directory (bench/_stack.py).

    .venv/bin/python bench/build_submit.py [--runs 3] [--sleep 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _stack import stack

SPEC = """Name: slow{n}
Version: 1.0
Release: 1%{{?dist}}
Summary: a package whose build takes {sleep} s
License: MIT
BuildArch: noarch
%description
Benchmark package.
%prep
%build
sleep {sleep}
%install
mkdir -p %{{buildroot}}%{{_datadir}}/slow{n}
echo {n} > %{{buildroot}}%{{_datadir}}/slow{n}/data
%files
%{{_datadir}}/slow{n}/data
"""


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _upstream(root: Path, runs: int, sleep: float) -> None:
    for n in range(runs):
        repo = root / f"slow{n}.git"
        (repo / "SPECS").mkdir(parents=True)
        (repo / "SPECS" / f"slow{n}.spec").write_text(SPEC.format(n=n, sleep=sleep))
        _git(repo, "init", "-q", "-b", "c9")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "x")
        _git(repo, "tag", "-a", f"imports/c9/slow{n}-1.0-1.el9", "-m", "t")


def _project(root: Path, runs: int) -> str:
    pkgs = "\n".join(f"  - name: slow{n}" for n in range(runs))
    return f"""name: bench
dist: .el9
vendor: {{family: el, major: 9}}
upstream: {{kind: dist-git, url: "{root.as_uri()}/{{name}}.git", branch: c9}}
packages:
{pkgs}
"""


def bare(tmp: Path, sleep: float) -> float:
    spec = tmp / "bare.spec"
    spec.write_text(SPEC.format(n="bare", sleep=sleep))
    top = tmp / "top"
    common = ["--nodeps", "--define", f"_topdir {top}", "--define", "dist .el9"]
    start = time.monotonic()
    subprocess.run(["rpmbuild", "-bs", *common, str(spec)], check=True, capture_output=True)
    srpm = next((top / "SRPMS").glob("*.src.rpm"))
    subprocess.run(["rpmbuild", "--rebuild", *common, str(srpm)], check=True, capture_output=True)
    subprocess.run(["createrepo_c", "-q", "--no-database", str(top / "RPMS")], check=True)
    took = time.monotonic() - start
    shutil.rmtree(top)
    return took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sleep", type=float, default=5.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="olivine-bench-submit-"))
    try:
        _upstream(tmp / "up", args.runs + 1, args.sleep)
        with stack(tmp) as st:
            st.apply(_project(tmp / "up", args.runs + 1))
            r = st.client.post(
                "/api/v1/projects/bench/import-batch", headers=st.headers, json={"all": True}
            )
            assert st.wait_task(r.json()["task_id"])["status"] == "succeeded"
            olv, ref = [], []
            for n in range(args.runs + 1):  # the first build warms the worker up: not counted
                start = time.monotonic()
                r = st.client.post(
                    "/api/v1/projects/bench/builds",
                    headers=st.headers,
                    json={"package": f"slow{n}"},
                )
                t = st.wait_task(r.json()["task_id"])
                took = time.monotonic() - start
                assert t["status"] == "succeeded", t
                if n:
                    olv.append(took)
                    ref.append(bare(tmp, args.sleep))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mo, mb = statistics.median(olv), statistics.median(ref)
    print(f"%build {args.sleep} s, {args.runs} runs (medians)")
    print(f"{'':42} {'seconds':>8}")
    print(f"{'bare rpmbuild -bs + --rebuild + createrepo_c':42} {mb:8.2f}")
    print(f"{'olivine submit-to-published (API..all)':42} {mo:8.2f}")
    print(f"ratio {mo / mb:.3f}x (target < 1.2x), overhead {mo - mb:+.2f} s (target < 1 s)")
    return 0 if mo / mb < 1.2 and mo - mb < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
