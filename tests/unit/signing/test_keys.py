"""Key material with real gpg: what `key create` makes and what `key import` refuses."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from olivine.errors import ValidationFailed
from olivine.signing import keys
from olivine.signing.gpg import gpg_home


def test_generated_key_is_rsa4096_with_expiry_and_uid(rsa_key: keys.KeyMaterial) -> None:
    assert rsa_key.info.algorithm == "rsa4096"
    assert rsa_key.info.user_id == "Olivine el9 signing key <build@example.org>"
    assert rsa_key.info.expires_at is not None
    assert rsa_key.public_key.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert b"PRIVATE KEY" in rsa_key.secret
    assert "secret hidden" in repr(rsa_key) and "PRIVATE" not in repr(rsa_key)


def test_uid_comes_from_the_project_macros() -> None:
    macros = {"vendor": "Acme", "packager": "Acme Builds <rel@acme.example>"}
    assert keys.default_user_id("el9", macros) == "Acme el9 signing key <rel@acme.example>"
    assert keys.default_user_id("sig", {}) == "Olivine sig signing key <sig@olivine.invalid>"


def test_el_projects_need_rsa() -> None:
    with pytest.raises(ValidationFailed, match="needs an RSA key"):
        keys.check_algorithm("ed25519", "el")
    keys.check_algorithm("ed25519", "generic")
    with pytest.raises(ValidationFailed, match="not one of"):
        keys.check_algorithm("dsa1024", "generic")


def test_import_takes_a_private_key_and_gives_it_back(rsa_key: keys.KeyMaterial) -> None:
    got = keys.inspect_private(rsa_key.secret, "el")
    assert got.info.fingerprint == rsa_key.info.fingerprint


def test_import_refuses_a_public_key(rsa_key: keys.KeyMaterial) -> None:
    with pytest.raises(ValidationFailed, match="public key only"):
        keys.inspect_private(rsa_key.public_key.encode(), "el")


def test_import_refuses_garbage_and_ed25519_for_el(other_key: keys.KeyMaterial) -> None:
    with pytest.raises(ValidationFailed, match="no OpenPGP key"):
        keys.inspect_private(b"-----BEGIN PGP PRIVATE KEY BLOCK-----\nnope\n", "el")
    with pytest.raises(ValidationFailed, match="needs an RSA key"):
        keys.inspect_private(other_key.secret, "el")


def _gpg(home: Path, *args: str, data: bytes | None = None) -> bytes:
    cmd = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", *args]
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


def test_import_refuses_expired_revoked_and_passphrase_keys(tmp_path: Path) -> None:
    with gpg_home(tmp_path) as h:
        _gpg(
            h.path,
            "--passphrase",
            "",
            "--quick-gen-key",
            "Old <o@x>",
            "ed25519",
            "sign",
            "seconds=1",
        )
        fpr = keys.parse_colons(_gpg(h.path, "--with-colons", "-K").decode())[0].info.fingerprint
        expired = _gpg(h.path, "--passphrase", "", "--armor", "--export-secret-keys", fpr)
    time.sleep(1.5)
    with pytest.raises(ValidationFailed, match="cannot sign: it expired"):
        keys.inspect_private(expired, "generic")

    with gpg_home(tmp_path) as h:
        _gpg(h.path, "--passphrase", "", "--quick-gen-key", "Rev <r@x>", "ed25519", "sign", "1y")
        fpr = keys.parse_colons(_gpg(h.path, "--with-colons", "-K").decode())[0].info.fingerprint
        rev = (h.path / "openpgp-revocs.d" / f"{fpr}.rev").read_text().replace(":-----", "-----")
        _gpg(h.path, "--import", data=rev.encode())
        revoked = _gpg(h.path, "--passphrase", "", "--armor", "--export-secret-keys", fpr)
    with pytest.raises(ValidationFailed, match="cannot sign: it is revoked"):
        keys.inspect_private(revoked, "generic")

    with gpg_home(tmp_path) as h:
        _gpg(
            h.path, "--passphrase", "s3cret", "--quick-gen-key", "P <p@x>", "ed25519", "sign", "1y"
        )
        locked = _gpg(h.path, "--passphrase", "s3cret", "--armor", "--export-secret-keys")
    with pytest.raises(ValidationFailed, match="without a passphrase") as e:
        keys.inspect_private(locked, "generic")
    assert "PRIVATE" not in e.value.message
