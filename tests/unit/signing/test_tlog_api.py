"""The log's API and the /provenance files, in-process: what anybody may read, what a private
project hides, clear 4xx for bad input, and no private key material in any answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import update

from olivine.api.provenance import router as provenance_router
from olivine.api.routes import log as log_routes
from olivine.app import create_app
from olivine.config import Settings
from olivine.db.base import Database
from olivine.db.models import Project
from olivine.services import Services
from olivine.signing import attest, logstore, tlog
from olivine.signing.checkpoint import open_note, parse_verifier_key
from olivine.signing.instance import InstanceSigner, load_or_create, log_origin
from olivine.signing.leaves import RepomdLeaf, parse_leaf
from olivine.signing.sealing import Kek
from olivine.storage.fs import FsStore
from tests.unit.signing.provenance_fixtures import build_rpm, seed_build


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=str(db.engine.url))


@pytest.fixture
def client(settings: Settings, db: Database, fs_store: FsStore) -> Iterator[TestClient]:
    app = create_app(settings, Services(settings, db, fs_store))
    app.include_router(log_routes.router)
    app.include_router(provenance_router)
    with TestClient(app) as c:
        yield c


def _signer(db: Database, settings: Settings) -> InstanceSigner:
    with db.session() as s:
        if s.query(Project).filter_by(name="el9").first() is None:
            s.add(Project(name="el9", spec={}, spec_sha256="0" * 64))
    return load_or_create(db, Kek(b"k" * 32), log_origin(settings.base_url))


def test_key_and_checkpoints(client: TestClient, db: Database, settings: Settings) -> None:
    r = client.get("/api/v1/log/key")
    assert r.status_code == 404 and "signing worker" in r.json()["detail"]
    signer = _signer(db, settings)
    for i in range(3):
        logstore.append(db, RepomdLeaf("el9", "BaseOS", "x86_64", i, f"{i:064x}"), signer)
    key = client.get("/api/v1/log/key").json()
    name, pub = parse_verifier_key(key["note_key"])
    assert pub == signer.public.public_key and key["keyid"] == signer.public.keyid
    cp = open_note(client.get("/api/v1/log/checkpoint").text, name, pub)
    assert cp.size == 3 and cp.origin == log_origin(settings.base_url)
    assert open_note(client.get("/api/v1/log/checkpoints/2").text, name, pub).size == 2
    entries = client.get("/api/v1/log/entries", params={"start": 0, "end": 3}).json()
    leaves = [base64.b64decode(e["data"]) for e in entries]
    assert [parse_leaf(x).revision for x in leaves] == [0, 1, 2]  # type: ignore[attr-defined]
    r = client.get(
        "/api/v1/log/proof/inclusion", params={"leaf_hash": entries[1]["leaf_hash"], "tree_size": 3}
    )
    proof = [bytes.fromhex(h) for h in r.json()["hashes"]]
    tlog.verify_inclusion(tlog.leaf_hash(leaves[1]), 1, 3, proof, cp.root_hash)
    r = client.get("/api/v1/log/proof/consistency", params={"first": 2, "second": 3})
    first = open_note(client.get("/api/v1/log/checkpoints/2").text, name, pub)
    proof = [bytes.fromhex(h) for h in r.json()["hashes"]]
    tlog.verify_consistency(2, 3, proof, first.root_hash, cp.root_hash)
    private = signer._private.private_bytes(  # the secret must appear in no answer
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    for path in ("/api/v1/log/key", "/api/v1/log/checkpoint"):
        body = client.get(path).content
        assert private.hex().encode() not in body
        assert base64.b64encode(private) not in body


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/log/proof/inclusion", {"leaf_hash": "zz", "tree_size": 1}, 422),
        ("/api/v1/log/proof/inclusion", {"leaf_hash": "a" * 64, "tree_size": 1}, 404),
        ("/api/v1/log/proof/consistency", {"first": 2, "second": 1}, 422),
        ("/api/v1/log/proof/consistency", {"first": 1, "second": 99}, 422),
        ("/api/v1/log/entries", {"start": 5, "end": 2}, 422),
        ("/api/v1/log/checkpoints/77", {}, 404),
        ("/api/v1/provenance", {}, 422),
        ("/api/v1/provenance", {"rpm_header_sha256": "b" * 64}, 404),
    ],
)
def test_bad_requests_are_4xx(
    client: TestClient, db: Database, settings: Settings, path: str, params: dict, status: int
) -> None:
    logstore.append(db, RepomdLeaf("el9", "BaseOS", "x86_64", 0, "0" * 64), _signer(db, settings))
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_provenance_files_and_private_projects(
    client: TestClient, db: Database, settings: Settings, fs_store: FsStore, tmp_path: Path
) -> None:
    signer = _signer(db, settings)
    build = seed_build(db, fs_store, [build_rpm(tmp_path, "files")], project="filesp")
    rec = attest.make_provenance(db, fs_store, signer, build, settings.base_url)
    env = client.get(f"/provenance/filesp/{build}.intoto.jsonl")
    assert env.status_code == 200 and json.loads(env.content)["payloadType"]
    assert env.content == fs_store.get_bytes(rec.envelope_sha256)
    assert client.get(f"/api/v1/builds/{build}/provenance").content == env.content
    sbom = client.get(f"/provenance/filesp/{build}.spdx.json")
    assert sbom.json()["spdxVersion"] == "SPDX-2.3"
    assert client.get(f"/provenance/filesp/{build}.tar").status_code == 404
    assert client.get(f"/provenance/filesp/{build + 1}.spdx.json").status_code == 404

    with db.session() as s:
        s.execute(update(Project).where(Project.name == "filesp").values(public=False))
    for path in (f"/provenance/filesp/{build}.intoto.jsonl", f"/api/v1/builds/{build}/provenance"):
        assert client.get(path).status_code in (401, 404)
    r = client.get("/api/v1/provenance", params={"build": build})
    assert r.status_code in (401, 404)
    (entry,) = client.get("/api/v1/log/entries", params={"start": 0, "end": 1}).json()
    assert entry["data"] is None and entry["leaf_hash"]  # hash public, content hidden
