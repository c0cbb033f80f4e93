"""Splicing (incremental publish) gives exactly the chunks a full publish would."""

import random
from typing import Any

import pytest
from sqlalchemy import delete

from olivine.db.base import Database
from olivine.db.models import ProjectArtifact
from olivine.repos import metadata, publish
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.publish import publish_project
from olivine.repos.state import heads, sync_repositories
from olivine.storage.fs import FsStore
from tests.unit.repos.helpers import CREATEREPO, make_project, pulp_rpms

SPEC = {"repositories": [{"name": "BaseOS", "keep": 2}]}


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "CHUNK_AVERAGE", 3)


def digests(db: Database, project_id: int) -> dict[str, list[str]]:
    _arches, plans = sync_repositories(db, project_id)
    out = {}
    for plan in plans:
        for arch, head in heads(db, plan.repository_id).items():
            out[f"{plan.name}/{arch}"] = [e.digest for e in head.entries]
    return out


def test_incremental_publishes_match_full_ones(
    db: Database, fs_store: FsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = publish.splice

    def counting(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(publish, "splice", counting)
    inc = make_project(db, "inc", **SPEC)
    full = make_project(db, "full", **SPEC)
    rpms = [*pulp_rpms(), CREATEREPO / "Archer-3.4.5-6.x86_64.rpm"]
    random.Random(4).shuffle(rpms)
    ids: list[int] = []
    for rpm in rpms[:8]:
        ids.append(ingest_rpm(db, fs_store, rpm, inc).artifact_id)
        ingest_rpm(db, fs_store, rpm, full)
    publish_project(db, fs_store, inc)
    publish_project(db, fs_store, full)
    for step, rpm in enumerate(rpms[8:]):
        new = ingest_rpm(db, fs_store, rpm, inc).artifact_id
        ingest_rpm(db, fs_store, rpm, full)
        changed = [new]
        if step % 4 == 3:  # now and then a package leaves the project
            gone = ids.pop(0)
            with db.session() as s:
                s.execute(delete(ProjectArtifact).where(ProjectArtifact.artifact_id == gone))
            changed.append(gone)
        ids.append(new)
        publish_project(db, fs_store, inc, changed=changed)
        publish_project(db, fs_store, full)
        assert digests(db, inc) == digests(db, full), f"after step {step} ({rpm.name})"
    assert sum(len(d) for d in digests(db, inc).values()) > 8
    assert len(calls) >= 6 * len(rpms[8:])  # every repo/arch of both repos was spliced


def test_locate_finds_the_chunks_a_name_belongs_or_would_belong_to() -> None:
    from olivine.repos.chunkstore import ChunkEntry
    from olivine.repos.splice import locate

    def entry(i: int, first: str, last: str) -> ChunkEntry:
        return ChunkEntry(
            i,
            str(i),
            2,
            (first, "noarch", 0, "1", "1", "a"),
            (last, "noarch", 0, "1", "1", "b"),
            {},
        )

    entries = [entry(0, "b", "d"), entry(1, "d", "f"), entry(2, "h", "k")]
    assert locate(entries, {"a"}) == (0, 0)  # before everything: the first chunk
    assert locate(entries, {"c"}) == (0, 0)
    assert locate(entries, {"d"}) == (0, 1)  # a name across a boundary: both chunks
    assert locate(entries, {"g"}) == (2, 2)  # between chunks: the one after
    assert locate(entries, {"z"}) == (2, 2)  # after everything: the last chunk
    assert locate(entries, {"a", "z"}) == (0, 2)
    assert locate([], {"a"}) == (0, -1)
