"""Benchmark (4) of issue 4: peak memory publishing into a 100,000-package repo.

The repo's records are synthetic copies of one real corpus RPM under new names (repos_synth.py).
Each step runs in a fresh process so its peak RSS is its own. Target: under 500 MB.

Run: .venv/bin/python bench/repos_memory.py [--packages 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from repos_common import CACHE, make_project

from olivine.db.base import Database
from olivine.db.migrate import upgrade
from olivine.storage.fs import FsStore

PULP = Path(__file__).resolve().parents[2] / "shared/fixtures/pulp-fixtures/rpm/assets"


def step(kind: str, work: Path) -> None:
    """One publish in this process; prints seconds and peak RSS as JSON."""
    from olivine.repos.artifacts import ingest_rpm
    from olivine.repos.publish import publish_project

    db = Database(f"sqlite:///{work / 'olivine.db'}")
    store = FsStore(work / "objects", "http://127.0.0.1", b"k" * 32)
    started = time.perf_counter()
    if kind == "full":
        result = publish_project(db, store, 1, repos=["BaseOS"])
    else:
        new = ingest_rpm(db, store, PULP / "bear-4.1-1.noarch.rpm", 1)
        result = publish_project(db, store, 1, repos=["BaseOS"], changed=[new.artifact_id])
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = result.revisions[0].package_count if result.revisions else 0
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "packages": count}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--step":
        step(sys.argv[2], Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", type=int, default=100_000)
    a = ap.parse_args()
    from repos_synth import insert_synthetic

    work = Path(tempfile.mkdtemp(dir=CACHE if CACHE.exists() else None, prefix="mem-"))
    try:
        url = f"sqlite:///{work / 'olivine.db'}"
        upgrade(url)
        db = Database(url)
        pid = make_project(db)
        template = PULP / "cat-1.0-1.noarch.rpm"
        insert_synthetic(db, pid, template, a.packages)
        db.dispose()
        print(f"{a.packages} synthetic packages in {work}")
        print(f"{'publish':28} | {'seconds':>8} | {'peak RSS MB':>11}")
        for kind, label in (("full", "full (cold) publish"), ("one", "+1 package (incremental)")):
            out = subprocess.run(
                [sys.executable, __file__, "--step", kind, str(work)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{label:28} | {r['seconds']:8.2f} | {r['peak_mb']:11.0f}"
                f"   ({r['packages']} packages)"
            )
        print("target: peak RSS < 500 MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
