"""Lookaside fetching: hash types, verification while streaming, store-once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from olivine.errors import ValidationFailed
from olivine.imports.errors import HashMismatch, LookasideMissing
from olivine.imports.lookaside import Lookaside, LookasideRef, hashtype_of
from olivine.imports.upstream.base import parse_metadata, parse_sources_file
from olivine.storage.fs import FsStore
from tests.integration.imports.helpers import TEST_POLICY

DATA = b"tarball bytes\n" * 1000


def test_hashtype_by_length() -> None:
    for algo in ("md5", "sha1", "sha256", "sha512"):
        assert hashtype_of(hashlib.new(algo, b"x").hexdigest()) == algo
    with pytest.raises(ValidationFailed):
        hashtype_of("abc")
    with pytest.raises(ValidationFailed):
        LookasideRef.of("../x", hashlib.md5(b"").hexdigest())


def test_parsers() -> None:
    sha = hashlib.sha512(b"x").hexdigest()
    md5 = hashlib.md5(b"x").hexdigest()
    refs = parse_sources_file(f"SHA512 (a-1.tar.gz) = {sha}\n{md5}  b.tar.gz\n", "sources")
    assert [(r.path, r.hashtype) for r in refs] == [
        ("SOURCES/a-1.tar.gz", "sha512"),
        ("SOURCES/b.tar.gz", "md5"),
    ]
    meta = parse_metadata(f"{hashlib.sha1(b'x').hexdigest()} SOURCES/c.tar\n", ".c.metadata")
    assert meta[0].hashtype == "sha1" and meta[0].filename == "c.tar"
    with pytest.raises(ValidationFailed, match="line 1"):
        parse_metadata("nothex SOURCES/c.tar\n", ".c.metadata")


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256", "sha512"])
def test_fetch_verify_store_once(tmp_path: Path, fs_store: FsStore, algo: str) -> None:
    digest = hashlib.new(algo, DATA).hexdigest()
    (tmp_path / "la" / "pkg").mkdir(parents=True)
    (tmp_path / "la" / "pkg" / digest).write_bytes(DATA)
    la = Lookaside(fs_store, (tmp_path / "la").as_uri() + "/{name}/{hash}", policy=TEST_POLICY)
    ref = LookasideRef.of("SOURCES/p.tar.gz", digest)
    blob = la.fetch(ref, name="pkg", branch="c9")
    assert blob.sha256 == hashlib.sha256(DATA).hexdigest() and blob.size == len(DATA)
    assert fs_store.get_bytes(blob.sha256) == DATA
    (tmp_path / "la" / "pkg" / digest).unlink()  # second time: found in the store
    assert la.fetch(ref, name="pkg", branch="c9") == blob


def test_hash_mismatch_stores_nothing(tmp_path: Path, fs_store: FsStore) -> None:
    digest = hashlib.sha1(b"promised").hexdigest()
    (tmp_path / "la").mkdir()
    (tmp_path / "la" / "p.tar.gz").write_bytes(DATA)
    la = Lookaside(fs_store, (tmp_path / "la").as_uri() + "/{filename}", policy=TEST_POLICY)
    with pytest.raises(HashMismatch, match=f"SOURCES/p.tar.gz \\(sha1 {digest}\\)"):
        la.fetch(LookasideRef.of("SOURCES/p.tar.gz", digest), name="p", branch=None)
    assert not fs_store.exists(hashlib.sha256(DATA).hexdigest())
    sha = hashlib.sha256(b"promised").hexdigest()
    with pytest.raises(HashMismatch, match=sha) as e:
        la.fetch(LookasideRef.of("SOURCES/p.tar.gz", sha), name="p", branch=None)
    # only the expected digest: the actual one would tell what lies at the URL
    assert hashlib.sha256(DATA).hexdigest() not in e.value.message


def test_missing_names_file_and_hash(tmp_path: Path, fs_store: FsStore) -> None:
    sha = hashlib.sha256(b"gone").hexdigest()
    la = Lookaside(
        fs_store, (tmp_path / "la").as_uri() + "/{name}/{branch}/{hash}", policy=TEST_POLICY
    )
    with pytest.raises(LookasideMissing, match=f"SOURCES/x.tar.xz \\(sha256 {sha}\\)"):
        la.fetch(LookasideRef.of("SOURCES/x.tar.xz", sha), name="x", branch="c9")
    with pytest.raises(LookasideMissing, match="no lookaside URL"):
        Lookaside(fs_store, None).fetch(LookasideRef.of("SOURCES/x", sha), name="x", branch=None)
