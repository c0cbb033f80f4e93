"""Chunk blobs in the object store, reused across revisions and repos, and whole-file assembly."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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
)
from olivine.storage.interfaces import ObjectStore

_XML_COLUMN = {"primary": Artifact.primary_xml, "filelists": Artifact.filelists_xml,
               "other": Artifact.other_xml}  # fmt: skip


@dataclass(frozen=True)
class ChunkRef:
    id: int
    digest: str
    artifact_ids: list[int]
    blobs: dict[str, Blob]  # "<kind>.<comp>" -> blob


def blob_key(kind: str, comp: Compression) -> str:
    return f"{kind}.{comp}"


def _render(db: Database, ids: Sequence[int]) -> dict[str, bytes]:
    """The plain XML of one chunk per kind, in member order, from the rows rendered at ingest."""
    cols = [Artifact.id, *(_XML_COLUMN[k] for k in KINDS)]
    with db.session() as s:
        rows = {r[0]: r[1:] for r in s.execute(select(*cols).where(Artifact.id.in_(ids)))}
    return {k: "".join(str(rows[i][n]) for i in ids).encode() for n, k in enumerate(KINDS)}


def _store_blob(store: ObjectStore, plain: bytes, comp: Compression) -> Blob:
    packed = compress(plain, comp)
    put = store.put_bytes(packed)
    opened = store.put_bytes(plain)  # kept so a whole file's open-checksum needs no inflating
    return Blob(put.sha256, put.size, opened.sha256, opened.size)


def _load(db: Database, digests: Sequence[str]) -> dict[str, RepoChunk]:
    found: dict[str, RepoChunk] = {}
    unique = list(dict.fromkeys(digests))
    with db.session() as s:
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            for row in s.scalars(select(RepoChunk).where(RepoChunk.digest.in_(part))):
                found[row.digest] = row
    return found


def _save(db: Database, digest: str, ids: list[int], blobs: dict[str, dict[str, object]]) -> int:
    with db.session() as s:
        row = s.scalar(select(RepoChunk).where(RepoChunk.digest == digest))
        if row is None:
            row = RepoChunk(digest=digest, artifact_ids=ids, blobs=blobs)
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # made at the same moment by another project's publisher
                s.rollback()
                return _save(db, digest, ids, blobs)
        else:
            row.blobs = {**row.blobs, **blobs}
        return row.id


def _to_ref(row_id: int, digest: str, ids: list[int], blobs: dict[str, object]) -> ChunkRef:
    return ChunkRef(row_id, digest, ids, {k: Blob(**v) for k, v in blobs.items()})  # type: ignore[arg-type]


def ensure_chunks(
    db: Database, store: ObjectStore, chunks: Sequence[Sequence[PackageRecord]], comp: Compression
) -> list[ChunkRef]:
    """ChunkRefs for these chunks, making (only) the blobs that are not stored yet."""
    digests = [chunk_digest(c) for c in chunks]
    known = _load(db, digests)
    wanted = [blob_key(k, comp) for k in KINDS]
    refs: list[ChunkRef] = []
    for members, digest in zip(chunks, digests, strict=True):
        row = known.get(digest)
        if row is not None and all(w in row.blobs for w in wanted):
            refs.append(_to_ref(row.id, digest, list(row.artifact_ids), row.blobs))
            continue
        ids = [r.id for r in members]
        plain = _render(db, ids)
        blobs = {blob_key(k, comp): _store_blob(store, plain[k], comp).as_dict() for k in KINDS}
        row_id = _save(db, digest, ids, blobs)
        merged = {**(row.blobs if row is not None else {}), **blobs}
        refs.append(_to_ref(row_id, digest, ids, merged))
    return refs


@dataclass(frozen=True)
class MetaFile:
    type: str
    href: str
    sha256: str
    size: int
    open_sha256: str
    open_size: int


def assemble(
    store: ObjectStore, kind: str, refs: Sequence[ChunkRef], count: int, comp: Compression
) -> MetaFile:
    """Write the whole <kind>.xml.<gz|zst> (header, chunk members, footer) as one object."""
    key = blob_key(kind, comp)
    head, foot = header(kind, count), footer(kind)
    head_packed, foot_packed = compress(head, comp), compress(foot, comp)

    def packed() -> Iterator[bytes]:
        yield head_packed
        for ref in refs:
            yield from store.open(ref.blobs[key].sha256)
        yield foot_packed

    put = store.put_stream(ConcatReader(packed()))  # type: ignore[arg-type]
    opened = hashlib.sha256(head)
    for ref in refs:
        for piece in store.open(ref.blobs[key].open_sha256):
            opened.update(piece)
    opened.update(foot)
    open_size = len(head) + len(foot) + sum(r.blobs[key].open_size for r in refs)
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
    return MetaFile(
        mdtype, f"repodata/{put.sha256}-{name}", put.sha256, put.size, opened, len(plain)
    )
