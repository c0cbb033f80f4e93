"""The transparency log in the database: the one sequencer, checkpoints, proofs and entries.

Every append runs in one transaction that first locks the single `tlog_state` row (an UPDATE:
a row lock on PostgreSQL, the database write lock on SQLite). Appenders therefore queue up and
each sees the size the previous one left: two signers can never give two leaves one index, so
the log never forks. The tree is stored as its complete subtrees (olivine.signing.tlog), so a
root or a proof reads O(log n) rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import LogCheckpoint, LogLeaf, LogNode, LogState
from olivine.errors import NotFound, ValidationFailed
from olivine.signing import tlog
from olivine.signing.checkpoint import Checkpoint, sign_note
from olivine.signing.instance import InstanceSigner
from olivine.signing.leaves import Leaf

MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Appended:
    index: int
    size: int  # the log's size right after this append
    leaf_hash: str
    new: bool  # False: the same fact was logged before (dedup key), nothing was added


@dataclass(frozen=True)
class Entry:
    index: int
    kind: str
    leaf_hash: str
    data: bytes


def _ensure_state(db: Database) -> None:
    values = {"id": 1, "size": 0, "root_hash": tlog.EMPTY_ROOT.hex()}
    dialect = db.engine.dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LogState)
    with db.session() as s:
        s.execute(stmt.values(**values).on_conflict_do_nothing())


def _reader(s: Session, fresh: dict[tuple[int, int], bytes]) -> tlog.NodeReader:
    def read(level: int, index: int) -> bytes:
        if (level, index) in fresh:
            return fresh[(level, index)]
        row = s.get(LogNode, (level, index))
        if row is None:
            raise ValidationFailed(f"the log has no node {level}/{index}: it is corrupt")
        return row.hash

    return read


def append(db: Database, leaf: Leaf, signer: InstanceSigner | None = None) -> Appended:
    """Sequence one leaf. With the instance key at hand, also sign a checkpoint of the result."""
    _ensure_state(db)
    data, key = leaf.to_bytes(), leaf.dedup_key()
    with db.session() as s:
        s.execute(update(LogState).where(LogState.id == 1).values(size=LogState.size))
        state = s.get_one(LogState, 1)
        if key is not None:
            old = s.scalar(select(LogLeaf).where(LogLeaf.dedup_key == key))
            if old is not None:
                return Appended(old.index, state.size, old.leaf_hash, new=False)
        index, lh = state.size, tlog.leaf_hash(data)
        fresh: dict[tuple[int, int], bytes] = {}
        read = _reader(s, fresh)
        for level, i, h in tlog.new_nodes(read, index, lh):
            fresh[(level, i)] = h
        s.add(LogLeaf(index=index, kind=leaf.kind, leaf_hash=lh.hex(), data=data, dedup_key=key))
        rows = [{"level": lv, "index": i, "hash": h} for (lv, i), h in fresh.items()]
        s.execute(insert(LogNode), rows)
        state.size, state.root_hash = index + 1, tlog.root_hash(read, index + 1).hex()
        if signer is not None:
            _sign(s, signer, state.size, bytes.fromhex(state.root_hash))
        return Appended(index, index + 1, lh.hex(), new=True)


def _sign(s: Session, signer: InstanceSigner, size: int, root: bytes) -> LogCheckpoint:
    cp = Checkpoint(signer.public.origin, size, root, int(time.time()))
    pub = signer.public
    row = LogCheckpoint(
        size=size, root_hash=root.hex(), note=sign_note(cp, pub.origin, pub.public_key, signer.sign)
    )
    s.add(row)
    return row


def sign_checkpoint(db: Database, signer: InstanceSigner) -> str:
    """A signed checkpoint of the log as it is now (made once per size)."""
    _ensure_state(db)
    with db.session() as s:
        s.execute(update(LogState).where(LogState.id == 1).values(size=LogState.size))
        state = s.get_one(LogState, 1)
        row = s.get(LogCheckpoint, state.size)
        if row is None:
            row = _sign(s, signer, state.size, bytes.fromhex(state.root_hash))
        return row.note


def latest_checkpoint(db: Database) -> LogCheckpoint:
    with db.session() as s:
        row = s.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))
        if row is None:
            raise NotFound("the log has no signed checkpoint yet")
        return row


def checkpoint_at(db: Database, size: int) -> LogCheckpoint:
    with db.session() as s:
        row = s.get(LogCheckpoint, size)
        if row is None:
            raise NotFound(f"the log has no signed checkpoint of size {size}")
        return row


def size(db: Database) -> int:
    with db.session() as s:
        state = s.get(LogState, 1)
        return state.size if state else 0


def _check_size(s: Session, tree_size: int) -> None:
    state = s.get(LogState, 1)
    current = state.size if state else 0
    if not 0 <= tree_size <= current:
        raise ValidationFailed(f"tree size {tree_size} is outside the log (size {current})")


def entries(db: Database, start: int, end: int) -> list[Entry]:
    if not 0 <= start < end or end - start > MAX_ENTRIES:
        raise ValidationFailed(f"entries need 0 <= start < end, at most {MAX_ENTRIES} at once")
    with db.session() as s:
        q = select(LogLeaf).where(LogLeaf.index >= start, LogLeaf.index < end)
        rows = s.scalars(q.order_by(LogLeaf.index))
        return [Entry(r.index, r.kind, r.leaf_hash, r.data) for r in rows]


def leaf_index(db: Database, leaf_hash: str) -> int:
    with db.session() as s:
        q = select(LogLeaf.index).where(LogLeaf.leaf_hash == leaf_hash).order_by(LogLeaf.index)
        index = s.scalar(q.limit(1))
        if index is None:
            raise NotFound(f"no log entry has leaf hash {leaf_hash}")
        return index


def inclusion(db: Database, leaf_hash: str, tree_size: int) -> tuple[int, list[bytes]]:
    index = leaf_index(db, leaf_hash)
    with db.session() as s:
        _check_size(s, tree_size)
        if index >= tree_size:
            raise ValidationFailed(f"leaf {index} was appended after tree size {tree_size}")
        return index, tlog.inclusion_proof(_reader(s, {}), index, tree_size)


def consistency(db: Database, first: int, second: int) -> list[bytes]:
    if not 0 <= first <= second:
        raise ValidationFailed(f"consistency needs 0 <= first <= second, not {first}, {second}")
    with db.session() as s:
        _check_size(s, second)
        return tlog.consistency_proof(_reader(s, {}), first, second)


def root_at(db: Database, tree_size: int) -> bytes:
    with db.session() as s:
        _check_size(s, tree_size)
        return tlog.root_hash(_reader(s, {}), tree_size)
