"""The log in the database: one sequencer under concurrent appenders (threads, on SQLite and
PostgreSQL), dedup of repeated facts, signed checkpoints, proofs that verify."""

from __future__ import annotations

import threading

import pytest

from olivine.db.base import Database
from olivine.signing import logstore, tlog
from olivine.signing.checkpoint import open_note
from olivine.signing.instance import InstanceSigner, load_or_create, public_instance_key
from olivine.signing.leaves import RepomdLeaf, SignedRpmLeaf, parse_leaf
from olivine.signing.sealing import Kek

ORIGIN = "olivine.test/log"


@pytest.fixture
def signer(db: Database) -> InstanceSigner:
    return load_or_create(db, Kek(b"k" * 32), ORIGIN)


def _leaf(i: int) -> RepomdLeaf:
    return RepomdLeaf("el9", "BaseOS", "x86_64", i, f"{i:064x}")


def test_concurrent_appenders_never_fork_the_log(db: Database, signer: InstanceSigner) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(10):
                logstore.append(db, _leaf(t * 100 + i), signer)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert logstore.size(db) == 40
    got = logstore.entries(db, 0, 40)
    assert [e.index for e in got] == list(range(40))
    assert len({e.data for e in got}) == 40
    expected = naive_root([e.data for e in got])
    assert logstore.root_at(db, 40) == expected
    cp = open_note(logstore.latest_checkpoint(db).note, ORIGIN, signer.public.public_key)
    assert (cp.size, cp.root_hash) == (40, expected)


def naive_root(leaves: list[bytes]) -> bytes:
    from tests.unit.signing.test_tlog import naive_mth

    return naive_mth(leaves)


def test_same_fact_is_logged_once(db: Database, signer: InstanceSigner) -> None:
    leaf = SignedRpmLeaf("el9", "a" * 64, "b" * 64, "F" * 40, "c" * 64)
    first = logstore.append(db, leaf, signer)
    again = logstore.append(db, leaf, signer)
    assert first.new and not again.new and again.index == first.index
    assert logstore.size(db) == 1
    assert parse_leaf(logstore.entries(db, 0, 1)[0].data) == leaf


def test_proofs_from_the_store_verify(db: Database, signer: InstanceSigner) -> None:
    hashes = [logstore.append(db, _leaf(i), signer).leaf_hash for i in range(13)]
    root13, root5 = logstore.root_at(db, 13), logstore.root_at(db, 5)
    index, proof = logstore.inclusion(db, hashes[6], 13)
    tlog.verify_inclusion(bytes.fromhex(hashes[6]), index, 13, proof, root13)
    tlog.verify_consistency(5, 13, logstore.consistency(db, 5, 13), root5, root13)
    with pytest.raises(Exception, match="after tree size"):
        logstore.inclusion(db, hashes[9], 5)
    with pytest.raises(Exception, match="outside the log"):
        logstore.consistency(db, 5, 14)
    assert logstore.checkpoint_at(db, 5).root_hash == root5.hex()


def test_instance_key_is_made_once_and_sealed(db: Database, signer: InstanceSigner) -> None:
    again = load_or_create(db, Kek(b"k" * 32), ORIGIN)
    assert again.public == signer.public
    assert public_instance_key(db).keyid == signer.public.keyid
    assert "hidden" not in repr(signer) and "keyid" in repr(signer)
    with pytest.raises(Exception, match="does not open"):
        load_or_create(db, Kek(b"x" * 32), ORIGIN)


def test_two_signers_starting_at_once_make_one_key(db: Database) -> None:
    from cryptography.hazmat.primitives import serialization

    from olivine.db.models import InstanceKey

    got: list[InstanceSigner] = []
    threads = [
        threading.Thread(target=lambda: got.append(load_or_create(db, Kek(b"k" * 32), ORIGIN)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({g.public.keyid for g in got}) == 1
    with db.session() as s:
        (row,) = s.query(InstanceKey).all()
        sealed = row.sealed_private
    raw = got[0]._private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert raw not in sealed and raw.hex().encode() not in sealed  # sealed, never in clear


def test_appends_without_the_key_are_checkpointed_by_the_signer_later(
    db: Database, signer: InstanceSigner
) -> None:
    logstore.append(db, _leaf(1), signer)
    logstore.append(db, _leaf(2))  # e.g. a process that holds no key: sequenced, not signed
    assert logstore.latest_checkpoint(db).size == 1
    note = logstore.sign_checkpoint(db, signer)
    cp = open_note(note, ORIGIN, signer.public.public_key)
    assert cp.size == 2 and cp.root_hash == logstore.root_at(db, 2)
    assert logstore.sign_checkpoint(db, signer) == note  # one checkpoint per size
