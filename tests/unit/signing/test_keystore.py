"""The key store on a real database: sealed secrets, default and rotation, revocation, audit."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models.signing import KeyEvent, RpmSignature, SigningKey
from olivine.errors import Conflict, IntegrityFailure, ValidationFailed
from olivine.signing import keys
from olivine.signing import keystore as keystore_mod
from olivine.signing.keystore import KeyStore, purpose
from olivine.signing.sealing import create_kek
from tests.unit.signing.helpers import make_project, no_private


def test_import_seals_the_secret_and_answers_public_facts_only(
    db: Database, keystore: KeyStore, rsa_key: keys.KeyMaterial
) -> None:
    make_project(db, "el9")
    k = keystore.import_key("el9", rsa_key.secret, actor_id=None)
    assert k.fingerprint == rsa_key.info.fingerprint and k.is_default and k.origin == "imported"
    no_private(repr(asdict(k)), rsa_key.secret, rsa_key.public_key)
    with db.session() as s:
        row = s.scalars(select(SigningKey)).one()
        sealed = row.sealed_secret
    assert rsa_key.secret not in sealed and b"PRIVATE" not in sealed
    assert keystore.secret("el9", k.fingerprint) == rsa_key.secret
    exported = keystore.export_public("el9", None, actor_id=None)
    assert exported.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    no_private(exported, rsa_key.secret, rsa_key.public_key)


def test_a_sealed_secret_opens_with_its_kek_and_row_only(
    db: Database, keystore: KeyStore, rsa_key: keys.KeyMaterial, tmp_path: Path
) -> None:
    make_project(db, "el9")
    k = keystore.import_key("el9", rsa_key.secret, actor_id=None)
    other = KeyStore(db, create_kek(tmp_path / "other" / "kek"))
    with pytest.raises(IntegrityFailure, match="does not open with this signer's KEK"):
        other.secret("el9", k.fingerprint)
    with db.session() as s:
        sealed = s.scalars(select(SigningKey)).one().sealed_secret
    with pytest.raises(IntegrityFailure):
        keystore.kek.open(sealed, purpose("other", k.fingerprint))


def test_the_same_key_twice_is_a_conflict(
    db: Database, keystore: KeyStore, rsa_key: keys.KeyMaterial
) -> None:
    make_project(db, "el9")
    keystore.import_key("el9", rsa_key.secret, actor_id=None)
    with pytest.raises(Conflict, match="already has key"):
        keystore.import_key("el9", rsa_key.secret, actor_id=None)


def test_rotation_retires_the_old_default_which_still_verifies(
    db: Database, keystore: KeyStore, rsa_key: keys.KeyMaterial, rsa_key2: keys.KeyMaterial
) -> None:
    pid = make_project(db, "el9")
    old = keystore.import_key("el9", rsa_key.secret, actor_id=None)
    new = keystore.import_key("el9", rsa_key2.secret, actor_id=None)
    listed = {k.fingerprint: k for k in keystore.list_keys("el9")}
    assert listed[new.fingerprint].is_default and listed[new.fingerprint].state == "active"
    assert listed[old.fingerprint].state == "retired" and not listed[old.fingerprint].is_default
    assert len(keystore.public_keys(pid)) == 2  # RPM-GPG-KEY serves both
    actions = [e.action for e in reversed(keystore.audit("el9"))]
    assert actions == ["imported", "default", "imported", "rotated", "default"]


def test_create_for_el_refuses_ed25519(db: Database, keystore: KeyStore) -> None:
    make_project(db, "el9", vendor={"family": "el"})
    with pytest.raises(ValidationFailed, match="needs an RSA key"):
        keystore.create("el9", None, algorithm="ed25519")


def test_create_makes_a_key_with_the_project_uid(db: Database, keystore: KeyStore) -> None:
    make_project(
        db,
        "sig",
        vendor={"family": "generic"},
        macros={"vendor": "Acme", "packager": "Rel <rel@acme.example>"},
    )
    k = keystore.create("sig", None, algorithm="ed25519", expiry_days=30)
    assert k.user_id == "Acme sig signing key <rel@acme.example>" and k.is_default
    assert k.expires_at is not None


def test_revocation_marks_the_key_its_signatures_and_tells_the_hooks(
    db: Database, keystore: KeyStore, rsa_key: keys.KeyMaterial
) -> None:
    from olivine.db.models import Artifact

    pid = make_project(db, "el9")
    k = keystore.import_key("el9", rsa_key.secret, actor_id=None)
    with db.session() as s:
        a = Artifact(
            sha256="a" * 64,
            size=1,
            filename="x-1-1.noarch.rpm",
            name="x",
            version="1",
            release="1",
            arch="noarch",
            primary_xml="",
            filelists_xml="",
            other_xml="",
        )
        s.add(a)
        s.flush()
        s.add(
            RpmSignature(
                project_id=pid,
                key_id=k.id,
                fingerprint=k.fingerprint,
                unsigned_sha256="a" * 64,
                signed_sha256="b" * 64,
                unsigned_artifact_id=a.id,
            )
        )
    seen: list[keystore_mod.KeyRevoked] = []
    keystore_mod.KEY_REVOKED_HOOKS.append(seen.append)
    try:
        with pytest.raises(ValidationFailed, match="say why"):
            keystore.revoke("el9", k.fingerprint, " ", actor_id=None)
        out = keystore.revoke("el9", k.fingerprint[-16:], "laptop stolen", actor_id=None)
    finally:
        keystore_mod.KEY_REVOKED_HOOKS.remove(seen.append)
    assert seen == [out] and out.signed_artifacts == ["b" * 64]
    with db.session() as s:
        assert s.scalars(select(RpmSignature.key_revoked)).one() is True
        ev = s.scalars(select(KeyEvent).where(KeyEvent.action == "revoked")).one()
        assert ev.detail == {"reason": "laptop stolen", "signed_artifacts": 1}
    assert keystore.get("el9", k.fingerprint).state == "revoked"
    assert keystore.public_keys(pid) == []
    with pytest.raises(Conflict, match="revoked"):
        keystore.secret("el9", k.fingerprint)
    with pytest.raises(Conflict, match="already revoked"):
        keystore.revoke("el9", k.fingerprint, "again", actor_id=None)
