"""Benchmarks (1) and (2) of issue 4: publishing into a 20,000-package repo.

(1) +1 package: Olivine's ingest + publish until the new repomd.xml is what the server reads,
    against `createrepo_c --update` of the same repo. Target: >= 10x faster.
(2) cold full generation from the database (no chunk cache) against createrepo_c from files.
    Target: not slower.

Run: .venv/bin/python bench/repos_publish.py [--specs 20 --subpackages 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from repos_common import (
    CACHE,
    ingested,
    make_project,
    run_createrepo,
    table,
    working_copy,
)
from sqlalchemy import delete, insert, select

from olivine.db.models import ProjectArtifact
from olivine.db.models.repos import RepoChunk
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from olivine.repos.serving import RepoReader


def cold_olivine(db, store) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """A new project holding the same artifacts, with the chunk cache emptied first."""
    with db.session() as s:
        s.execute(delete(RepoChunk))
        ids = list(s.scalars(select(ProjectArtifact.artifact_id)))
    pid = make_project(db, f"cold{int(time.time() * 1000)}")
    with db.session() as s:
        s.execute(
            insert(ProjectArtifact),
            [{"project_id": pid, "artifact_id": i, "origin": "build"} for i in ids],
        )
    started = time.perf_counter()
    result = publish_project(db, store, pid, repos=["BaseOS"])
    assert result.revisions, "the cold publish made no revision"
    return time.perf_counter() - started, pid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=20)
    ap.add_argument("--subpackages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    corpus, state = ingested(a.specs, a.subpackages)
    rpms = sorted((corpus / "rpms").glob("*.rpm"))
    extra = sorted((corpus / "extra").glob("*.rpm"))[0]
    print(f"corpus: {len(rpms)} RPMs in {corpus}")
    work = Path(tempfile.mkdtemp(dir=CACHE, prefix="run-"))
    try:
        db, store = working_copy(state, work / "db")
        # (2) cold full generation
        cold_o, _ = cold_olivine(db, store)
        repo = work / "repo"
        (repo / "Packages").mkdir(parents=True)
        for r in rpms:
            (repo / "Packages" / r.name).symlink_to(r)
        cold_c = run_createrepo([str(repo)])
        # warm state: the bench project published once (the chunk cache now holds its chunks)
        publish_project(db, store, 1, repos=["BaseOS"])
        reader = RepoReader(db, ttl=0)
        ref = reader.project("bench")
        ones, pubs, upd = [], [], []
        for i in range(a.repeat):
            new_rpm = extra if i == 0 else _variant(extra, work, i)
            started = time.perf_counter()
            new = ingest_rpm(db, store, new_rpm, 1)
            t_pub = time.perf_counter()
            made = publish_project(db, store, 1, repos=["BaseOS"], changed=[new.artifact_id])
            md = reader.repomd(ref, "BaseOS", "x86_64")  # what the next request is answered with
            done = time.perf_counter()
            assert made.revisions and str(made.revisions[0].number).isdigit() and md.body
            ones.append(done - started)
            pubs.append(done - t_pub)
            (repo / "Packages" / new_rpm.name).symlink_to(new_rpm)
            upd.append(run_createrepo(["--update", str(repo)]))
        # the real publisher: every repo of the project (BaseOS and the reserved `all`, each
        # with its source and debug arches) at once
        publish_project(db, store, 1)  # brings `all` up to date (no hint: full selection)
        whole = []
        for i in range(a.repeat):
            new = ingest_rpm(db, store, _variant(extra, work, 10 + i), 1)
            started = time.perf_counter()
            made = publish_project(db, store, 1, changed=[new.artifact_id])
            reader.repomd(ref, "all", "x86_64")
            whole.append(time.perf_counter() - started)
            assert len(made.revisions) == 2, made.revisions
        one, pub, up = statistics.median(ones), statistics.median(pubs), statistics.median(upd)
        proj = statistics.median(whole)
        rows = [
            (
                "(1) +1 package into 20k: ingest+publish+served",
                f"{one * 1000:.0f} ms",
                f"{up * 1000:.0f} ms",
                f"{up / one:.1f}x faster",
            ),
            (
                "    publish only (request -> served)",
                f"{pub * 1000:.0f} ms",
                f"{up * 1000:.0f} ms",
                f"{up / pub:.1f}x faster",
            ),
            (
                "    whole project (BaseOS + all, 6 repo arches)",
                f"{proj * 1000:.0f} ms",
                f"{up * 1000:.0f} ms",
                f"{up / proj:.1f}x faster",
            ),
            (
                "(2) cold full generation",
                f"{cold_o:.2f} s",
                f"{cold_c:.2f} s",
                f"{cold_c / cold_o:.2f}x",
            ),
        ]
        print(table(rows))
        print("targets: (1) >= 10x faster; (2) ratio >= 1.0 (not slower)")
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _variant(extra: Path, work: Path, i: int) -> Path:
    """Another '+1' package: the extra spec rebuilt with release i (cached)."""
    from repos_corpus import build, spec_text

    out = work.parent / f"extra-r{i}.rpm"
    if out.exists():
        return out
    top = work / f"x{i}"
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / "benchextra.spec"
    spec.write_text(spec_text("benchextra", 1).replace("Release: 1", f"Release: {i + 1}"))
    build(spec, top)
    next((top / "RPMS" / "noarch").glob("*.rpm")).rename(out)
    return out


if __name__ == "__main__":
    main()
