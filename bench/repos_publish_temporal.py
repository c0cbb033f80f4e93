"""Benchmark (1) through the real machinery: a publish request signalled to the project's
Publisher workflow (Temporal dev server + an Olivine worker), until the new repomd.xml is what
the repository URL answers; against `createrepo_c --update` of the same 20,000-package repo.

Run: .venv/bin/python bench/repos_publish_temporal.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _stack import temporal_server, worker
from repos_common import CACHE, ingested, run_createrepo, table, working_copy
from repos_publish import _variant
from sqlalchemy import select

from olivine.config import Settings
from olivine.db.base import Database
from olivine.db.models import Task
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.serving import RepoReader
from olivine.workflows.client import connect
from olivine.workflows.publish import PublishRequest, request_publish


def served_etag(reader: RepoReader) -> str | None:
    try:
        return reader.repomd(reader.project("bench"), "BaseOS", "x86_64").etag
    except Exception:
        return None


def wait_change(reader: RepoReader, old: str | None, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if served_etag(reader) not in (None, old):
            return
        time.sleep(0.005)
    raise RuntimeError("the new revision was not served in time")


def _phases(db: Database, wall: float) -> str:
    with db.session() as s:
        task = s.scalars(
            select(Task).where(Task.kind == "repo-publish").order_by(Task.id.desc())
        ).first()
        assert task is not None and task.started_at
        return f"{(_ts(task.started_at) - wall) * 1000:.0f} ms"


def _ts(d: datetime) -> float:
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    corpus, state = ingested()
    extra = sorted((corpus / "extra").glob("*.rpm"))[0]
    work = Path(tempfile.mkdtemp(dir=CACHE, prefix="temporal-"))
    with temporal_server(work) as address:
        try:
            _run(a.repeat, corpus, state, extra, work, address)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _run(repeat: int, corpus: Path, state: Path, extra: Path, work: Path, address: str) -> None:
    db, store = working_copy(state, work / "data")
    (work / "data" / "objects").symlink_to(state / "objects")
    settings = Settings(data_dir=work / "data", database_url=db.url, temporal_address=address)
    with worker(settings) as loop:
        client = asyncio.run_coroutine_threadsafe(connect(settings, attempts=60), loop).result()
        reader = RepoReader(db, ttl=0)

        def request(req: PublishRequest) -> None:
            asyncio.run_coroutine_threadsafe(request_publish(client, "bench", req), loop).result()

        request(PublishRequest(full=True, reason="first publish"))
        wait_change(reader, None, timeout=600)
        times: list[float] = []
        phases: list[str] = []
        for i in range(repeat):
            new = ingest_rpm(db, store, _variant(extra, work, 20 + i), 1)
            old = served_etag(reader)
            started, wall = time.perf_counter(), time.time()
            request(PublishRequest([new.artifact_id], reason="bench"))
            wait_change(reader, old)
            times.append(time.perf_counter() - started)
            phases.append(_phases(db, wall))
        repo = work / "repo"
        (repo / "Packages").mkdir(parents=True)
        for r in sorted((corpus / "rpms").glob("*.rpm")):
            (repo / "Packages" / r.name).symlink_to(r)
        run_createrepo([str(repo)])
        (repo / "Packages" / extra.name).symlink_to(extra)
        upd = run_createrepo(["--update", str(repo)])
        ours = statistics.median(times)
        print(
            table(
                [
                    (
                        "(1) +1 into 20k via the Publisher workflow, request -> served",
                        f"{ours * 1000:.0f} ms",
                        f"{upd * 1000:.0f} ms",
                        f"{upd / ours:.1f}x faster",
                    )
                ]
            )
        )
        print(f"runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms; target >= 10x faster")
        print("request -> publish activity started:", "; ".join(phases))


if __name__ == "__main__":
    main()
