"""The signer with real rpmsign (in the sandbox), gpg-agent and rpm -K, on a real database."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from olivine.db.base import Database
from olivine.db.models import Artifact, ProjectArtifact
from olivine.db.models.signing import RpmSignature
from olivine.errors import Conflict, Forbidden, NotFound
from olivine.repos.artifacts import ingest_rpm
from olivine.signing import keys
from olivine.signing.adopt import adopt_signed, current_ids
from olivine.signing.keystore import KeyStore
from olivine.signing.signer import Signer
from olivine.storage.fs import FsStore
from tests.unit.signing.helpers import (
    build_outputs,
    key_and_outputs,
    make_project,
    pulp_rpms,
    rpm_checksig,
)


def test_signs_build_outputs_once_and_rpm_k_verifies(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key)
    signer = Signer(db, fs_store, keystore)
    lines: list[str] = []
    out = signer.sign("el9", ids, lines.append)
    assert [r.new for r in out] == [True] * 3
    assert any("verify against" in ln for ln in lines)
    assert "signing with the signer's own agent (OpenSSL)" in lines  # a lone RSA key
    for r in out:
        assert r.signed_sha256 != r.unsigned_sha256
        path = fs_store.download(r.signed_sha256, tmp_path / "x.rpm")
        assert rpm_checksig(path, [rsa_key.public_key], tmp_path).endswith("digests signatures OK")
    again = signer.sign("el9", ids, lines.append)
    assert [r.new for r in again] == [False] * 3
    assert {r.signed_sha256 for r in again} == {r.signed_sha256 for r in out}
    with db.session() as s:
        assert len(s.scalars(select(RpmSignature)).all()) == 3


def test_adopted_signed_rpm_keeps_its_nevra_and_gets_new_metadata(
    db: Database, fs_store: FsStore, keystore: KeyStore, rsa_key: keys.KeyMaterial
) -> None:
    pid, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=1)
    out = Signer(db, fs_store, keystore).sign("el9", ids, print)
    adopted = adopt_signed(db, fs_store, pid, [out[0].signature_id])
    new_id = adopted.changed[1]
    assert adopted.changed == [ids[0], new_id]
    with db.session() as s:
        old, new = s.get(Artifact, ids[0]), s.get(Artifact, new_id)
        assert old is not None and new is not None
        assert (old.name, old.version, old.release, old.arch) == (
            new.name,
            new.version,
            new.release,
            new.arch,
        )
        assert new.sha256 == out[0].signed_sha256 and new.size > old.size
        assert out[0].signed_sha256 in new.primary_xml and old.sha256 not in new.primary_xml
        held = s.scalars(select(ProjectArtifact.artifact_id)).all()
    assert held == [new_id]
    assert current_ids(db, pid, ids) == [new_id]
    assert adopt_signed(db, fs_store, pid, [out[0].signature_id]).changed == []


def test_refuses_what_is_not_a_build_output_of_the_project(
    db: Database, fs_store: FsStore, keystore: KeyStore, rsa_key: keys.KeyMaterial
) -> None:
    pid, _ = key_and_outputs(db, fs_store, keystore, rsa_key, n=1)
    scratch = build_outputs(db, fs_store, pid, pulp_rpms()[3:4], scratch=True)
    imported = ingest_rpm(db, fs_store, pulp_rpms()[4], pid, "imported")
    other = make_project(db, "other")
    foreign = build_outputs(db, fs_store, other, pulp_rpms()[5:6])
    signer = Signer(db, fs_store, keystore)
    for aid in (scratch[0].artifact_id, imported.artifact_id, foreign[0].artifact_id, 999999):
        with pytest.raises(Forbidden, match="not a non-scratch build output"):
            signer.sign("el9", [aid], print)
    assert signer.sign("el9", [imported.artifact_id], print, imported=True)[0].new
    with pytest.raises(NotFound, match="no default signing key"):
        signer.sign("other", [foreign[0].artifact_id], print)


def test_two_signers_at_once_sign_one_rpm_once(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=1)
    results: list[str] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        ks = KeyStore(db, keystore.kek, tmp_path / f"run{i}")
        try:
            results.extend(
                r.signed_sha256 for r in Signer(db, fs_store, ks).sign("el9", ids, print)
            )
        except BaseException as e:
            errors.append(e)
        finally:
            ks.sandboxes.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 2 and results[0] == results[1]
    with db.session() as s:
        assert len(s.scalars(select(RpmSignature)).all()) == 1


def test_parallel_lanes_sign_and_verify_every_file(
    rsa_key: keys.KeyMaterial, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than one batch: the lanes run at once in sandboxes of one build user, each with its
    own public GNUPGHOME and rpmdb copy, all signing through the job's one agent."""
    import shutil

    from olivine.signing import rpmsign

    monkeypatch.setattr(rpmsign, "PARALLEL", 2)
    work, run = tmp_path / "work", tmp_path / "run"
    (work / "rpms").mkdir(parents=True)
    src = pulp_rpms()[0]
    names = [f"copy{i:02d}-{src.name}" for i in range(60)]  # batches of 50 and 10
    for n in names:
        shutil.copyfile(src, work / "rpms" / n)  # the fixtures are read-only
    lines: list[str] = []
    job = rpmsign.SignJob(rsa_key.info.fingerprint, rsa_key.public_key, work, run)
    rsa = rpmsign.in_process_signer(rsa_key.info.fingerprint, rsa_key.secret)
    rpmsign.sign_rpms(job, rsa_key.secret, names, lines.append, rsa)
    assert sorted(ln for ln in lines if "verify against" in ln) == sorted(
        f"rpm -K: {k} RPMs verify against {rsa_key.info.fingerprint}" for k in (50, 10)
    )
    assert (work / "rpmdb-1").is_dir() and (work / "gnupg-1" / "pubring.kbx").is_file()
    for n in (names[0], names[-1]):
        out = rpm_checksig(work / "rpms" / n, [rsa_key.public_key], tmp_path)
        assert out.endswith("digests signatures OK")


def test_the_secret_is_opened_once_per_signer_process(
    db: Database,
    fs_store: FsStore,
    keystore: KeyStore,
    rsa_key: keys.KeyMaterial,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The OpenSSL signer of a lone RSA key is parsed once (KeyStore.openssl_signer), then
    signs every job; a revoked key still signs nothing (signing_key refuses it first)."""
    _, ids = key_and_outputs(db, fs_store, keystore, rsa_key, n=2)
    opened: list[str] = []
    real = keystore.secret
    monkeypatch.setattr(keystore, "secret", lambda p, f: opened.append(f) or real(p, f))
    signer = Signer(db, fs_store, keystore)
    signer.sign("el9", ids[:1], print)
    signer.sign("el9", ids[1:], print)
    assert len(opened) == 1
    fpr = keystore.signing_key("el9", None).fingerprint
    keystore.revoke("el9", fpr, "leaked", None)
    with pytest.raises(Conflict, match="revoked: it signs nothing"):
        Signer(db, fs_store, keystore).sign("el9", ids, print, fpr=fpr)
