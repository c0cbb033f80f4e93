"""The build page's provenance view: verified with olivine verify's checks against the instance
key, its facts read from the verified statement; a forged envelope or a statement the log does
not record is "not verified", naming the broken link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from securesystemslib.dsse import Envelope
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Provenance
from olivine.signing import attest
from olivine.signing.buildview import build_provenance
from olivine.signing.instance import InstanceSigner, load_or_create
from olivine.signing.sealing import Kek
from olivine.storage.fs import FsStore
from tests.unit.signing.provenance_fixtures import build_rpm, seed_build

BASE = "http://olivine.test"


@pytest.fixture
def signer(db: Database) -> InstanceSigner:
    return load_or_create(db, Kek(b"k" * 32), "olivine.test/log")


def test_a_logged_provenance_is_verified_and_its_facts_shown(
    db: Database, fs_store: FsStore, signer: InstanceSigner, tmp_path: Path
) -> None:
    rpm = build_rpm(tmp_path, "greet")
    build = seed_build(db, fs_store, [rpm])
    assert build_provenance(db, fs_store, build) is None  # none made yet
    rec = attest.make_provenance(db, fs_store, signer, build, BASE)
    view = build_provenance(db, fs_store, build)
    assert view is not None and view.verified, view
    assert view.keyid == signer.public.keyid and view.log_index == rec.leaf_index
    assert view.upstream is not None and view.upstream.commit == "1" * 40
    assert view.patches is not None and view.patches.commit == "2" * 40
    assert view.forge is not None and view.forge.tag == "imports/r9/greet-1.0-1"
    assert view.build_root == 3  # bash (a project RPM), rpm-build and gcc (host)
    (out,) = view.outputs
    assert out.filename == rpm.name and out.signed == ()


def _point_to(db: Database, build: int, envelope_sha256: str) -> None:
    with db.session() as s:
        row = s.scalars(select(Provenance).where(Provenance.build_id == build)).one()
        row.envelope_sha256 = envelope_sha256


def test_a_forged_envelope_or_an_unlogged_statement_is_not_verified(
    db: Database, fs_store: FsStore, signer: InstanceSigner, tmp_path: Path
) -> None:
    build = seed_build(db, fs_store, [build_rpm(tmp_path, "greet")])
    rec = attest.make_provenance(db, fs_store, signer, build, BASE)
    env = json.loads(fs_store.get_bytes(rec.envelope_sha256))
    other = json.dumps(dict(env, payloadType="application/json")).encode()
    _point_to(db, build, fs_store.put_bytes(other).sha256)
    view = build_provenance(db, fs_store, build)
    assert view is not None and not view.verified and view.problem.startswith("payload type")
    # signed by the instance key, but not the statement the log recorded
    st = json.loads(Envelope.from_dict(env).payload)
    st["predicate"]["buildDefinition"]["externalParameters"]["upstream"]["commit"] = "f" * 40
    forged = attest.envelope_line(json.dumps(st).encode(), signer)
    _point_to(db, build, fs_store.put_bytes(forged).sha256)
    view = build_provenance(db, fs_store, build)
    assert view is not None and not view.verified
    assert view.problem == f"log entry: entry {rec.leaf_index} records another statement"
