"""The signer's repomd.xml signatures (signing.repomd.sign_revisions): only revisions of the
project whose bytes hash to what the publisher said; each signed once per key; gpgv verifies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models.signing import RepomdSignature
from olivine.errors import Forbidden, IntegrityFailure, NotFound
from olivine.repos.publish import publish_project
from olivine.signing import keys
from olivine.signing.keystore import KeyStore
from olivine.signing.repomd import RevisionToSign, sign_revisions
from olivine.storage.fs import FsStore
from tests.unit.repos.helpers import make_project, pulp_rpms
from tests.unit.signing.helpers import build_outputs
from tests.unit.signing.test_detached import _gpgv


def _revisions(db: Database, fs_store: FsStore, name: str) -> list[tuple[int, str]]:
    pid = make_project(db, name, repositories=[{"name": "BaseOS"}])
    build_outputs(db, fs_store, pid, pulp_rpms()[:2])
    pub = publish_project(db, fs_store, pid, hold_heads=True)
    return [(r.revision_id, r.repomd_sha256) for r in pub.revisions]


def test_signs_each_held_revision_once_and_refuses_what_is_not_recorded(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    revs = _revisions(db, fs_store, "el9")
    other = _revisions(db, fs_store, "other")
    keystore.import_key("el9", rsa_key.secret, actor_id=None)
    want = [RevisionToSign(i, sha) for i, sha in revs]
    assert len({w.repomd_sha256 for w in want}) < len(want)  # BaseOS and all: the same bytes

    with pytest.raises(Forbidden, match="not one of this project's"):
        sign_revisions(db, keystore, "el9", [RevisionToSign(*other[0])])
    with pytest.raises(IntegrityFailure, match="not the one recorded"):
        sign_revisions(db, keystore, "el9", [RevisionToSign(revs[0][0], "0" * 64)])
    with pytest.raises(NotFound, match="does not exist"):
        sign_revisions(db, keystore, "el9", [RevisionToSign(10**6, revs[0][1])])

    assert sign_revisions(db, keystore, "el9", want) == len(want)
    assert sign_revisions(db, keystore, "el9", want) == 0  # signed already with this key
    with db.session() as s:
        rows = s.scalars(select(RepomdSignature)).all()
        assert sorted(r.revision_id for r in rows) == sorted(i for i, _ in revs)
        from olivine.db.models import RepositoryRevision

        for r in rows:
            body = s.get(RepositoryRevision, r.revision_id).repomd_xml.encode()  # type: ignore[union-attr]
            assert r.repomd_sha256 == hashlib.sha256(body).hexdigest()
            (tmp_path / str(r.revision_id)).mkdir()
            out = _gpgv(tmp_path / str(r.revision_id), rsa_key.public_key, body, r.asc)
            assert "Good signature" in out
