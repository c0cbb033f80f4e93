"""Provenance of a recorded build: the statement's content, the SBOM, the DSSE envelope signed by
the instance key, the log leaf, idempotence, and refusal of builds that get none."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from securesystemslib.dsse import Envelope

from olivine.builds import records
from olivine.db.base import Database
from olivine.errors import Conflict
from olivine.signing import attest, logstore
from olivine.signing.instance import InstanceSigner, load_or_create, sslib_key
from olivine.signing.leaves import ProvenanceLeaf, parse_leaf
from olivine.signing.provenance import PAYLOAD_TYPE, PREDICATE_TYPE
from olivine.signing.rpmheader import file_chunks, header_sha256
from olivine.signing.sealing import Kek
from olivine.storage.fs import FsStore
from tests.unit.signing.provenance_fixtures import build_rpm, seed_build

BASE = "http://olivine.test"


@pytest.fixture
def signer(db: Database) -> InstanceSigner:
    return load_or_create(db, Kek(b"k" * 32), "olivine.test/log")


def test_header_digest_matches_rpm(tmp_path: Path) -> None:
    import subprocess

    rpm = build_rpm(tmp_path, "hdr")
    want = subprocess.run(
        ["rpm", "-qp", "--qf", "%{SHA256HEADER}", str(rpm)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert header_sha256(file_chunks(str(rpm))) == want


def test_statement_names_every_input_and_output(
    db: Database, fs_store: FsStore, signer: InstanceSigner, tmp_path: Path
) -> None:
    rpm = build_rpm(tmp_path, "greet")
    build = seed_build(db, fs_store, [rpm])
    rec = attest.make_provenance(db, fs_store, signer, build, BASE)

    line = fs_store.get_bytes(rec.envelope_sha256)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    env = Envelope.from_dict(json.loads(line))
    assert env.payload_type == PAYLOAD_TYPE
    env.verify([sslib_key(signer.public.public_key)], 1)
    st = json.loads(env.payload)
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == PREDICATE_TYPE
    (subject,) = st["subject"]
    assert subject["name"] == rpm.name
    assert subject["digest"]["sha256"] == hashlib.sha256(rpm.read_bytes()).hexdigest()
    assert subject["digest"]["rpmheader-sha256"] == header_sha256(file_chunks(str(rpm)))

    bd = st["predicate"]["buildDefinition"]
    ext = bd["externalParameters"]
    assert ext["upstream"]["url"] == "https://git.example.org/rpms/greet.git"
    assert ext["upstream"]["commit"] == "1" * 40 and ext["patches"]["commit"] == "2" * 40
    assert ext["forge"]["commit"] == "3" * 40 and ext["forge"]["tag"] == "imports/r9/greet-1.0-1"
    deps = {d["name"]: d for d in bd["resolvedDependencies"]}
    assert deps["upstream"]["digest"] == {"gitCommit": "1" * 40}
    assert deps["greet-1.0.tar.gz"]["digest"] == {"sha256": "4" * 64}
    assert deps["bash-5.1-1.el9.x86_64"]["digest"] == {"sha256": "6" * 64}
    assert deps["host:gcc"]["annotations"]["version"] == "12.2.0"
    assert deps["builder:rpmbuild"]["annotations"]["version"] == "4.18.0"
    run = st["predicate"]["runDetails"]
    assert run["metadata"]["invocationId"] == f"{BASE}/api/v1/builds/{build}"
    (sbom_ref,) = run["byproducts"]
    assert sbom_ref["digest"]["sha256"] == rec.sbom_sha256

    sbom = json.loads(fs_store.get_bytes(rec.sbom_sha256))
    assert sbom["spdxVersion"] == "SPDX-2.3"
    names = {p["name"] for p in sbom["packages"]}
    assert {"bash-5.1-1.el9.x86_64", "gcc", rpm.name.removesuffix(".rpm")} <= names

    leaf = parse_leaf(logstore.entries(db, rec.leaf_index, rec.leaf_index + 1)[0].data)
    assert isinstance(leaf, ProvenanceLeaf)
    assert leaf.statement_sha256 == hashlib.sha256(env.payload).hexdigest()
    assert leaf.envelope_sha256 == rec.envelope_sha256
    assert attest.make_provenance(db, fs_store, signer, build, BASE) == rec  # once per build
    assert logstore.size(db) == 1


def test_incomplete_and_scratch_builds_get_none(
    db: Database, fs_store: FsStore, signer: InstanceSigner, tmp_path: Path
) -> None:
    build = seed_build(db, fs_store, [build_rpm(tmp_path, "half")])
    records.finish_build(db, build, "failed", "x")
    with pytest.raises(Conflict, match="only complete builds"):
        attest.make_provenance(db, fs_store, signer, build, BASE)
