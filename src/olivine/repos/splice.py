"""Swap packages in and out of a revision without reading the rest of it.

Chunks are cut over the sorted package list wherever a package's sha256 marks a boundary, so a
change touches only the chunks whose key range holds the changed names. Those chunks are
re-cut from their members plus the new packages; every other chunk is kept as it is. The result
is exactly what cutting the whole new list would give (the chunk before the span ends on a
boundary, and the span is widened until it ends on one too).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from olivine.db.base import Database
from olivine.domain.repofilter import PackageRecord
from olivine.repos.chunkstore import ChunkEntry, Key, ensure_chunks
from olivine.repos.metadata import Compression, ends_chunk, split_chunks
from olivine.repos.state import chunk_members, records_by_ids
from olivine.storage.interfaces import ObjectStore

_TOP = "\U0010ffff"


@dataclass(frozen=True)
class Spliced:
    entries: list[ChunkEntry]
    added: list[int]
    removed: list[int]


def locate(entries: Sequence[ChunkEntry], names: set[str]) -> tuple[int, int]:
    """The contiguous range of chunks that hold (or would hold) packages with these names."""
    if not entries:
        return 0, -1
    lasts = [e.last for e in entries]
    lo, hi = len(entries), -1
    for name in names:
        low: Key = (name,)
        high: Key = (name, _TOP)
        i = min(bisect_left(lasts, low), len(entries) - 1)
        j = i
        while j + 1 < len(entries) and entries[j + 1].first <= high:
            j += 1
        lo, hi = min(lo, i), max(hi, j)
    return lo, hi


def splice(
    db: Database,
    store: ObjectStore,
    entries: list[ChunkEntry],
    names: set[str],
    wanted: Sequence[PackageRecord],
    comp: Compression,
) -> Spliced:
    """Replace every package named in `names` by `wanted` (the new selection for those names)."""
    lo, hi = locate(entries, names)
    old = records_by_ids(db, chunk_members(db, [e.id for e in entries[lo : hi + 1]]))
    members = [r for r in old if r.name not in names] + list(wanted)
    pieces = split_chunks(members)
    while hi + 1 < len(entries) and (not pieces or not ends_chunk(pieces[-1][-1].sha256)):
        hi += 1  # the span must end on a boundary: take in the next chunk
        more = records_by_ids(db, chunk_members(db, [entries[hi].id]))
        old += more
        members += more
        pieces = split_chunks(members)
    made = ensure_chunks(db, store, pieces, comp)
    before, after = {r.id for r in old}, {r.id for r in members}
    return Spliced(
        entries[:lo] + made + entries[hi + 1 :],
        sorted(after - before),
        sorted(before - after),
    )
