"""Chunk blobs in the object store, shared by every revision and repo that holds the same run of
packages, and the assembly of whole metadata files from them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from olivine.db.base import Database
from olivine.db.models import Artifact
from olivine.db.models.repos import RepoChunk
from olivine.domain.repofilter import PackageRecord
from olivine.repos.metadata import (
    KINDS,
    SUFFIX,
    Blob,
    Compression,
    ConcatReader,
    chunk_digest,
    compress,
    footer,
    header,
    sort_key,
)
from olivine.storage.interfaces import ObjectStore

BATCH_IDS = 4000  # artifacts whose XML is read per query when building many chunks
WORKERS = 2  # zlib, sha256 and file writes release the GIL: chunks compress in parallel

Key = tuple[Any, ...]


def blob_key(kind: str, comp: Compression) -> str:
    return f"{kind}.{comp}"


@dataclass(frozen=True)
class ChunkEntry:
    """One chunk of a revision: its row, its key range (for splicing) and its blobs."""

    id: int
    digest: str
    count: int
    first: Key
    last: Key
    blobs: dict[str, Blob]

    def to_json(self) -> dict[str, Any]:
        """What a revision keeps (its blobs are on the chunk row: revisions stay small)."""
        return {
            "id": self.id,
            "digest": self.digest,
            "n": self.count,
            "first": list(self.first),
            "last": list(self.last),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChunkEntry:
        blobs = {k: Blob(*v) for k, v in d.get("blobs", {}).items()}
        return cls(d["id"], d["digest"], d["n"], tuple(d["first"]), tuple(d["last"]), blobs)


def with_blobs(db: Database, entries: Sequence[ChunkEntry], comp: Compression) -> list[ChunkEntry]:
    """The entries with their blobs for `comp` loaded from the chunk rows where missing."""
    wanted = [blob_key(k, comp) for k in KINDS]
    missing = [e.id for e in entries if any(w not in e.blobs for w in wanted)]
    if not missing:
        return list(entries)
    found: dict[int, dict[str, Blob]] = {}
    with db.engine.connect() as c:
        for i in range(0, len(missing), 500):
            q = select(RepoChunk.id, RepoChunk.blobs).where(RepoChunk.id.in_(missing[i : i + 500]))
            for cid, blobs in c.execute(q):
                found[cid] = {k: Blob(**v) for k, v in blobs.items()}
    return [replace(e, blobs=found[e.id]) if e.id in found else e for e in entries]


def _xml_rows(db: Database, ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    cols = (Artifact.id, Artifact.primary_xml, Artifact.filelists_xml, Artifact.other_xml)
    with db.engine.connect() as c:
        return {
            r[0]: (r[1], r[2], r[3]) for r in c.execute(select(*cols).where(Artifact.id.in_(ids)))
        }


def _build(
    store: ObjectStore,
    members: Sequence[PackageRecord],
    xml: dict[int, tuple[str, str, str]],
    comp: Compression,
) -> dict[str, Blob]:
    out = {}
    for n, kind in enumerate(KINDS):
        plain = "".join(xml[r.id][n] for r in members).encode()
        put = store.put_bytes(compress(plain, comp))
        opened = store.put_bytes(plain)  # kept so a whole file's open-checksum needs no inflating
        out[blob_key(kind, comp)] = Blob(put.sha256, put.size, opened.sha256, opened.size)
    return out


def _known(db: Database, digests: Sequence[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    unique = list(dict.fromkeys(digests))
    q = select(RepoChunk.digest, RepoChunk.id, RepoChunk.blobs)
    with db.engine.connect() as c:
        for i in range(0, len(unique), 500):
            for d, cid, blobs in c.execute(q.where(RepoChunk.digest.in_(unique[i : i + 500]))):
                found[d] = (cid, blobs)
    return found


def _save(db: Database, made: list[tuple[str, list[int], dict[str, Blob]]]) -> dict[str, int]:
    """Insert (or complete) chunk rows; a row made meanwhile by another publisher is kept."""
    rows: list[dict[str, Any]] = [
        {"digest": d, "artifact_ids": ids, "blobs": {k: b.as_dict() for k, b in blobs.items()}}
        for d, ids, blobs in made
    ]
    ins = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(
        RepoChunk
    )
    digests = [r["digest"] for r in rows]
    mine = [(r["digest"], r["blobs"]) for r in rows]
    with db.session() as s:
        s.execute(ins.on_conflict_do_nothing(index_elements=["digest"]), rows)
        ids: dict[str, int] = {}
        for row in s.scalars(select(RepoChunk).where(RepoChunk.digest.in_(digests))):
            ids[row.digest] = row.id
            wanted: dict[str, Any] = next(b for d, b in mine if d == row.digest)
            if any(k not in row.blobs for k in wanted):
                row.blobs = {**row.blobs, **wanted}
        return ids


def _batches(todo: list[int], chunks: Sequence[Sequence[PackageRecord]]) -> Iterator[list[int]]:
    batch: list[int] = []
    size = 0
    for i in todo:
        batch.append(i)
        size += len(chunks[i])
        if size >= BATCH_IDS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def ensure_chunks(
    db: Database, store: ObjectStore, chunks: Sequence[Sequence[PackageRecord]], comp: Compression
) -> list[ChunkEntry]:
    """Entries for these chunks, rendering and compressing only the ones not stored yet."""
    digests = [chunk_digest(c) for c in chunks]
    known = _known(db, digests)
    wanted = [blob_key(k, comp) for k in KINDS]
    ids: dict[str, int] = {}
    blobs: dict[str, dict[str, Blob]] = {}
    todo = []
    for i, d in enumerate(digests):
        row = known.get(d)
        if row is not None and all(w in row[1] for w in wanted):
            ids[d], blobs[d] = row[0], {k: Blob(**v) for k, v in row[1].items()}
        elif d not in blobs:
            blobs[d] = {}
            todo.append(i)
    pool = ThreadPoolExecutor(WORKERS) if len(todo) > 2 else None
    try:
        for batch in _batches(todo, chunks):
            xml = _xml_rows(db, [r.id for i in batch for r in chunks[i]])
            jobs = [(store, chunks[i], xml, comp) for i in batch]
            built = (
                list(pool.map(lambda j: _build(*j), jobs)) if pool else [_build(*j) for j in jobs]
            )
            made = [
                (digests[i], [r.id for r in chunks[i]], b)
                for i, b in zip(batch, built, strict=True)
            ]
            ids.update(_save(db, made))
            for i, b in zip(batch, built, strict=True):
                blobs[digests[i]] = b
    finally:
        if pool:
            pool.shutdown()
    return [
        ChunkEntry(ids[d], d, len(c), sort_key(c[0]), sort_key(c[-1]), blobs[d])
        for c, d in zip(chunks, digests, strict=True)
    ]


def read_object(store: ObjectStore, sha256: str) -> bytes:
    """A small object's bytes; straight from the file for the local store (no per-read stat)."""
    path = getattr(store, "path", None)
    if path is not None:
        try:
            with open(path(sha256), "rb") as f:
                return f.read()
        except FileNotFoundError:
            pass  # let the store raise its own NotFound
    return store.get_bytes(sha256)


@dataclass(frozen=True)
class MetaFile:
    type: str
    href: str
    sha256: str
    size: int
    open_sha256: str
    open_size: int


def assemble(
    store: ObjectStore, kind: str, entries: Sequence[ChunkEntry], count: int, comp: Compression
) -> MetaFile:
    """Write the whole <kind>.xml.<gz|zst> (header, chunk members, footer) as one object."""
    key = blob_key(kind, comp)
    head, foot = header(kind, count), footer(kind)

    def packed() -> Iterator[bytes]:
        yield compress(head, comp)
        for e in entries:
            yield read_object(store, e.blobs[key].sha256)
        yield compress(foot, comp)

    put = store.put_stream(ConcatReader(packed()))  # type: ignore[arg-type]
    opened = hashlib.sha256(head)
    for e in entries:
        opened.update(read_object(store, e.blobs[key].open_sha256))
    opened.update(foot)
    open_size = len(head) + len(foot) + sum(e.blobs[key].open_size for e in entries)
    href = f"repodata/{put.sha256}-{kind}.xml{SUFFIX[comp]}"
    return MetaFile(kind, href, put.sha256, put.size, opened.hexdigest(), open_size)


def extra_file(
    store: ObjectStore, mdtype: str, filename: str, text: str, comp: Compression | None
) -> MetaFile:
    """comps, modules.yaml, updateinfo: small files stored whole (compressed unless comp None)."""
    plain = text.encode()
    data = compress(plain, comp) if comp else plain
    put = store.put_bytes(data)
    name = filename + (SUFFIX[comp] if comp else "")
    opened = hashlib.sha256(plain).hexdigest()
    href = f"repodata/{put.sha256}-{name}"
    return MetaFile(mdtype, href, put.sha256, put.size, opened, len(plain))
