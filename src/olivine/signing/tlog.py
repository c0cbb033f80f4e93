"""The transparency log's Merkle tree: RFC 6962 / RFC 9162 hashing, proofs and their checks.

Pure code, no I/O. A tree of n leaves is read through a `NodeReader`, which returns the stored
hash of a complete subtree: level l, index i covers leaves [i * 2^l, (i + 1) * 2^l). Those are
the only nodes ever stored, and they never change once written (the log is append-only), so any
MTH(D[a:b]) that RFC 6962's recursion asks for is a fold of at most 2*log2(n) stored nodes:
proofs and roots cost O(log n) reads, never a pass over the leaves.

Hand-written because no maintained Python library implements RFC 9162 proofs over a store of
our own (the Go references are trillian's `merkle` and transparency-dev's `merkle` packages;
the test suite checks this code against a naive MTH/PATH/PROOF straight from the RFC text).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]  # (level, index) -> hash of a complete subtree


class ProofError(Exception):
    """A proof that does not prove what it claims; the message names the failed check."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): RFC 6962's k."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(read: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that RFC 6962's recursion produces."""
    n = end - start
    if n <= 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        return read(n.bit_length() - 1, start // n)
    k = _split(n)
    return node_hash(range_hash(read, start, start + k), range_hash(read, start + k, end))


def root_hash(read: NodeReader, size: int) -> bytes:
    return range_hash(read, 0, size)


def new_nodes(read: NodeReader, index: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """The complete-subtree nodes that appending `leaf` at `index` creates: (level, index, hash)
    for the leaf itself and every subtree it completes, bottom up."""
    out = [(0, index, leaf)]
    level, i, h = 0, index, leaf
    while i % 2 == 1:
        left = read(level, i - 1)
        level, i, h = level + 1, i // 2, node_hash(left, h)
        out.append((level, i, h))
    return out


def inclusion_proof(read: NodeReader, index: int, size: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[0:n]), as an audit path bottom up (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    return _path(read, index, 0, size)


def _path(read: NodeReader, m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(read, m, start, start + k), range_hash(read, start + k, end)]
    return [*_path(read, m - k, start + k, end), range_hash(read, start, start + k)]


def consistency_proof(read: NodeReader, first: int, second: int) -> list[bytes]:
    """RFC 6962 PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1)."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    return _subproof(read, first, 0, second, True)


def _subproof(read: NodeReader, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [range_hash(read, start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(read, m, start, start + k, whole), range_hash(read, start + k, end)]
    return [*_subproof(read, m - k, start + k, end, False), range_hash(read, start, start + k)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2. Raises ProofError naming the failure."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError(
            f"inclusion proof of leaf {index} does not lead to the root of size {size}"
        )


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: the tree of size `second` extends the tree of size `first`."""
    if not 0 <= first <= second:
        raise ProofError(f"size {second} is smaller than the remembered size {first}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError(f"two different roots for the same tree size {first}")
        return
    if first == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is a node of the proof
        path.insert(0, first_root)
    if not path:
        raise ProofError("empty consistency proof")
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise ProofError(
            f"consistency check failed: the size {first} root is not a prefix of this log "
            "(the log was rewritten)"
        )
    if sr != second_root:
        raise ProofError(
            f"consistency check failed: the proof does not lead to the size {second} root "
            f"from the size {first} root (the log was rewritten, or the proof is forged)"
        )
