"""Benchmark: importing a package whose lookaside holds one large file (default 1 GiB) against
`sha256sum` + `cp` of the same file, in the same run; and the import's peak memory.

    .venv/bin/python bench/import_lookaside.py [--size-mib 1024] [--http]

The file is generated once and cached in /var/tmp/olivine-bench-cache. The import runs in a
child process (a dist-git upstream, a file:// or http:// lookaside, a fresh object store, the
local forge, SQLite) so its peak RSS is its own. Targets: ratio >= 0.5, peak RSS < 150 MB."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path("/var/tmp/olivine-bench-cache")
CHUNK = 4 * 1024 * 1024


def make_blob(size_mib: int) -> Path:
    path = CACHE / f"lookaside-{size_mib}m.bin"
    if path.exists() and path.stat().st_size == size_mib << 20:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    seed = hashlib.sha256(b"olivine").digest()
    with open(tmp, "wb") as f:
        block = os.urandom(CHUNK)  # incompressible; repeated with a varying prefix
        for i in range((size_mib << 20) // CHUNK):
            f.write(seed + i.to_bytes(8, "big") + block[40:])
    tmp.replace(path)
    return path


def reference(blob: Path, work: Path) -> tuple[float, str]:
    subprocess.run(["cat", str(blob)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    t0 = time.perf_counter()
    out = subprocess.run(["sha256sum", str(blob)], capture_output=True, text=True, check=True)
    subprocess.run(["cp", str(blob), str(work / "copy.bin")], check=True)
    elapsed = time.perf_counter() - t0
    (work / "copy.bin").unlink()
    return elapsed, out.stdout.split()[0]


def child(args: argparse.Namespace) -> None:
    """Set up an upstream naming the blob, then time run_import alone."""
    from tests.integration.imports.helpers import commit, init_repo, serve_dir

    from olivine.db.base import Database
    from olivine.db.migrate import upgrade
    from olivine.db.models import Project
    from olivine.forge.local import LocalForge
    from olivine.imports.service import ProjectRef, run_import
    from olivine.projects.schema import ProjectFile
    from olivine.storage.fs import FsStore

    work, blob, sha = Path(args.work), Path(args.blob), args.sha256
    la = work / "la" / "big" / "c9" / "sha256"
    la.mkdir(parents=True)
    os.link(blob, la / sha) if os.stat(blob).st_dev == os.stat(la).st_dev else shutil.copy(
        blob, la / sha
    )
    spec = (
        "Name: big\nVersion: 1\nRelease: 1%{?dist}\nSummary: s\nLicense: MIT\n"
        "Source0: big.bin\n%description\nd\n%files\n"
    )
    commit(
        init_repo(work / "up" / "big.git", "c9"),
        {"SPECS/big.spec": spec, ".big.metadata": f"{sha} SOURCES/big.bin\n"},
    )
    url = f"sqlite:///{work / 'db.sqlite'}"
    upgrade(url)
    db = Database(url)

    def run(la_base: str) -> float:
        pf = ProjectFile(
            name="bench",
            dist=".el9",
            target={"branch": "r9"},
            packages=[{"name": "big"}],
            upstream={
                "kind": "dist-git",
                "url": (work / "up").as_uri() + "/{name}.git",
                "branch": "c9",
                "lookaside": la_base + "/{name}/{branch}/{hashtype}/{hash}",
            },
        )
        with db.session() as s:
            row = Project(name=pf.name, spec=pf.normalised(), spec_sha256="0" * 64)
            s.add(row)
            s.flush()
            ref = ProjectRef(row.id, pf)
        store = FsStore(work / "objects", "http://127.0.0.1", b"k" * 32)
        t0 = time.perf_counter()
        res = run_import(db, store, LocalForge(work / "forge"), ref, "big")
        elapsed = time.perf_counter() - t0
        assert res.lookaside[0]["sha256"] == sha and store.exists(sha)
        return elapsed

    if args.http:
        with serve_dir(work / "la") as base:
            elapsed = run(base)
    else:
        elapsed = run((work / "la").as_uri())
    print(json.dumps({"seconds": elapsed}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--http", action="store_true", help="serve the lookaside over HTTP on loopback")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--blob", help=argparse.SUPPRESS)
    ap.add_argument("--sha256", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    blob = make_blob(args.size_mib)
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        work = Path(tmp)
        ref_s, sha = reference(blob, work)
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--work",
            str(work / "imp"),
            "--blob",
            str(blob),
            "--sha256",
            sha,
        ] + (["--http"] if args.http else [])
        (work / "imp").mkdir()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            sys.exit(f"import failed:\n{out.stderr}")
        imp_s = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = args.size_mib
    print(f"{'what':<34}{'seconds':>9}{'MiB/s':>9}")
    print(f"{'sha256sum + cp (reference)':<34}{ref_s:>9.2f}{size / ref_s:>9.0f}")
    label = "olivine import (" + ("http" if args.http else "file") + " lookaside)"
    print(f"{label:<34}{imp_s:>9.2f}{size / imp_s:>9.0f}")
    print(f"speed ratio (reference time / import time): {ref_s / imp_s:.2f}  (target >= 0.5)")
    print(f"import peak RSS: {peak_mb:.0f} MB  (target < 150 MB; file {size} MiB)")


if __name__ == "__main__":
    main()
