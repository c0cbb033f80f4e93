"""The Merkle code against RFC 6962's own definitions (a naive MTH/PATH/PROOF written from the
RFC text) and the CT reference vectors (trillian's 8 leaves)."""

from __future__ import annotations

import hashlib

import pytest

from olivine.signing import tlog

# trillian / certificate-transparency-go test data: 8 leaves and the roots of sizes 1..8
VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
VECTOR_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


class Tree:
    """A tree built only through tlog.new_nodes, as the sequencer builds it."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def read(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def append(self, data: bytes) -> None:
        for level, i, h in tlog.new_nodes(self.read, self.size, tlog.leaf_hash(data)):
            self.nodes[(level, i)] = h
        self.size += 1


def _tree(leaves: list[bytes]) -> Tree:
    t = Tree()
    for x in leaves:
        t.append(x)
    return t


LEAVES = [f"leaf {i}".encode() for i in range(64)]
BIG = _tree(LEAVES)


def test_reference_vectors() -> None:
    t = Tree()
    for n, (data, root) in enumerate(zip(VECTOR_LEAVES, VECTOR_ROOTS, strict=True), 1):
        t.append(data)
        assert tlog.root_hash(t.read, n) == root == naive_mth(VECTOR_LEAVES[:n])
    assert tlog.root_hash(t.read, 0) == hashlib.sha256(b"").digest()


def test_stored_nodes_are_o_log_n_reads() -> None:
    reads: list[tuple[int, int]] = []

    def counting(level: int, index: int) -> bytes:
        reads.append((level, index))
        return BIG.read(level, index)

    tlog.inclusion_proof(counting, 42, 63)
    assert len(reads) <= 2 * 6


@pytest.mark.parametrize("n", range(1, 65))
def test_roots_and_inclusion_match_the_rfc(n: int) -> None:
    d = LEAVES[:n]
    root = tlog.root_hash(BIG.read, n)
    assert root == naive_mth(d)
    for m in range(n):
        proof = tlog.inclusion_proof(BIG.read, m, n)
        assert proof == naive_path(m, d)
        tlog.verify_inclusion(tlog.leaf_hash(d[m]), m, n, proof, root)


def test_consistency_all_pairs_up_to_64() -> None:
    roots = [tlog.root_hash(BIG.read, n) for n in range(65)]
    for second in range(1, 65):
        for first in range(1, second + 1):
            proof = tlog.consistency_proof(BIG.read, first, second)
            expected = [] if first == second else naive_subproof(first, LEAVES[:second], True)
            assert proof == expected, (first, second)
            tlog.verify_consistency(first, second, proof, roots[first], roots[second])


def test_a_rewritten_log_fails_consistency() -> None:
    forked = _tree([*LEAVES[:5], b"rewritten", *LEAVES[6:20]])
    for first in (6, 8, 16):
        proof = tlog.consistency_proof(forked.read, first, 20)
        honest = tlog.root_hash(BIG.read, first)
        with pytest.raises(tlog.ProofError, match="rewritten"):
            tlog.verify_consistency(first, 20, proof, honest, tlog.root_hash(forked.read, 20))


def test_tampered_proofs_fail() -> None:
    root = tlog.root_hash(BIG.read, 13)
    proof = tlog.inclusion_proof(BIG.read, 6, 13)
    leaf = tlog.leaf_hash(LEAVES[6])
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(leaf, 7, 13, proof, root)
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(leaf, 6, 13, proof[:-1], root)
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(leaf, 6, 13, [*proof, proof[0]], root)
    with pytest.raises(tlog.ProofError):
        tlog.verify_inclusion(tlog.leaf_hash(b"other"), 6, 13, proof, root)
    cons = tlog.consistency_proof(BIG.read, 5, 13)
    r5 = tlog.root_hash(BIG.read, 5)
    with pytest.raises(tlog.ProofError):
        tlog.verify_consistency(5, 13, cons[:-1], r5, root)
    with pytest.raises(tlog.ProofError):
        tlog.verify_consistency(5, 13, cons, r5, tlog.root_hash(BIG.read, 12))
    with pytest.raises(tlog.ProofError):
        tlog.verify_consistency(13, 5, [], root, r5)
