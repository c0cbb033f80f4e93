"""Shared setup of the repos benchmarks: a cached database + object store holding the corpus."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repos_corpus import CACHE, make_corpus

from olivine.db.base import Database
from olivine.db.migrate import upgrade
from olivine.db.models import Project
from olivine.repos.artifacts import ingest_rpm
from olivine.storage.fs import FsStore

ROOT = Path(__file__).resolve().parents[1]
MIGRATION = ROOT / "src/olivine/db/migrations/versions/0001_initial_schema.py"
CREATEREPO = str(ROOT / ".venv/bin/createrepo_c")
CREATEREPO_FLAGS = ["--no-database", "--general-compress-type=gz", "--workers", "2"]
SPEC = {"name": "bench", "arches": ["x86_64"], "repositories": [{"name": "BaseOS"}]}


def schema_key() -> str:
    return hashlib.sha256(MIGRATION.read_bytes()).hexdigest()[:12]


def make_project(db: Database, name: str = "bench") -> int:
    with db.session() as s:
        p = Project(name=name, spec={**SPEC, "name": name}, spec_sha256="0" * 64)
        s.add(p)
        s.flush()
        return p.id


def ingested(specs: int = 20, subpackages: int = 1000) -> tuple[Path, Path]:
    """(corpus dir, cached state dir with olivine.db + objects/), made once per schema."""
    corpus = make_corpus(specs, subpackages)
    state = CACHE / f"state-{specs}x{subpackages}-{schema_key()}"
    if (state / ".complete").exists():
        return corpus, state
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    url = f"sqlite:///{state / 'olivine.db'}"
    upgrade(url)
    db = Database(url)
    store = FsStore(state / "objects", "http://127.0.0.1:8080", b"k" * 32)
    pid = make_project(db)
    started = time.perf_counter()
    rpms = sorted((corpus / "rpms").glob("*.rpm"))
    for n, rpm in enumerate(rpms, 1):
        ingest_rpm(db, store, rpm, pid)
        if n % 2000 == 0:
            print(f"  ingested {n}/{len(rpms)} ({time.perf_counter() - started:.0f}s)", flush=True)
    (state / "ingest.json").write_text(json.dumps({"seconds": time.perf_counter() - started}))
    db.dispose()
    (state / ".complete").write_text("ok\n")
    return corpus, state


def working_copy(state: Path, dest: Path) -> tuple[Database, FsStore]:
    """A private copy of the cached database (objects are shared: they are immutable)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(state / "olivine.db", dest / "olivine.db")
    db = Database(f"sqlite:///{dest / 'olivine.db'}")
    return db, FsStore(state / "objects", "http://127.0.0.1:8080", b"k" * 32)


def run_createrepo(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([CREATEREPO, *CREATEREPO_FLAGS, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def table(
    rows: list[tuple[str, str, str, str]],
    head: tuple[str, str, str, str] = ("benchmark", "olivine", "createrepo_c 1.2.5", "ratio"),
) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
