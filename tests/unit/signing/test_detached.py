"""repomd.xml signatures made in the signer's process (OpenSSL for an RSA key, Sequoia for
others), and gpg for the keys Sequoia's policy refuses; each checked by gpgv against the public
key alone."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from olivine.errors import ServiceFailure
from olivine.signing import detached, keys, openpgp
from olivine.signing.gpg import gpg_home


def _gpgv(tmp_path: Path, public_key: str, data: bytes, asc: str) -> str:
    home = tmp_path / "verify"
    home.mkdir(mode=0o700)
    (tmp_path / "pub.asc").write_text(public_key)
    subprocess.run(
        ["gpg", "--homedir", home, "--batch", "--import", tmp_path / "pub.asc"],
        check=True,
        capture_output=True,
    )
    (tmp_path / "repomd.xml").write_bytes(data)
    (tmp_path / "repomd.xml.asc").write_text(asc)
    done = subprocess.run(
        [
            "gpgv",
            "--homedir",
            home,
            "--keyring",
            home / "pubring.kbx",
            "repomd.xml.asc",
            "repomd.xml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stderr


def _refuse(what: str) -> Callable[..., Any]:
    def refused(*_a: object, **_k: object) -> Any:
        raise AssertionError(f"{what} was used")

    return refused


def test_openssl_signs_each_repomd_of_an_rsa_key_and_gpgv_verifies(
    rsa_key: keys.KeyMaterial, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detached, "sign_detached", _refuse("gpg"))
    monkeypatch.setattr(detached, "sign", _refuse("Sequoia's signing"))
    blobs = [b"<repomd>BaseOS</repomd>\n", b"<repomd>all</repomd>\n"]
    ascs = detached.sign_blobs(rsa_key.info.fingerprint, rsa_key.secret, blobs, tmp_path)
    assert len(ascs) == 2 and all(a.startswith("-----BEGIN PGP SIGNATURE-----") for a in ascs)
    out = _gpgv(tmp_path, rsa_key.public_key, blobs[1], ascs[1])
    assert "Good signature" in out and rsa_key.info.fingerprint in out
    assert "PRIVATE" not in "".join(ascs)


def test_a_signature_of_one_file_does_not_verify_another(
    rsa_key: keys.KeyMaterial, tmp_path: Path
) -> None:
    asc = detached.sign_blobs(rsa_key.info.fingerprint, rsa_key.secret, [b"a"], tmp_path)[0]
    with pytest.raises(AssertionError, match="BAD signature"):
        _gpgv(tmp_path, rsa_key.public_key, b"b", asc)


def test_a_key_sequoia_refuses_is_signed_with_gpg(tmp_path: Path) -> None:
    """SHA-1 self-signatures (an old imported key): Sequoia's policy finds no signing key."""
    with gpg_home(tmp_path) as h:
        h.run(["--cert-digest-algo", "SHA1", "--quick-gen-key", "Old <o@example.org>", "rsa2048"])
        fpr = h.run(["--with-colons", "--list-secret-keys"]).stdout.decode()
        fpr = next(ln.split(":")[9] for ln in fpr.splitlines() if ln.startswith("fpr:"))
        secret = h.run(["--armor", "--export-secret-keys", fpr]).stdout
        public = h.run(["--armor", "--export", fpr]).stdout.decode()
    assert detached._sequoia(fpr, secret, [b"x"]) is None
    asc = detached.sign_blobs(fpr, secret, [b"<repomd/>"], tmp_path)[0]
    assert "Good signature" in _gpgv(tmp_path, public, b"<repomd/>", asc)


def test_an_ed25519_key_is_signed_by_sequoia(
    other_key: keys.KeyMaterial, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detached, "sign_detached", _refuse("gpg"))
    monkeypatch.setattr(detached.RsaSigner, "sign", _refuse("OpenSSL"))
    asc = detached.sign_blobs(other_key.info.fingerprint, other_key.secret, [b"<r/>"], tmp_path)
    assert "Good signature" in _gpgv(tmp_path, other_key.public_key, b"<r/>", asc[0])


def test_an_rsa_key_with_a_signing_subkey_is_signed_by_sequoia_with_the_subkey(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which of several keys signs is Sequoia's choice: OpenSSL signs only a lone primary."""
    with gpg_home(tmp_path) as h:
        h.run(["--quick-gen-key", "Sub <s@example.org>", "rsa2048", "cert", "1y"])
        out = h.run(["--with-colons", "--list-secret-keys"]).stdout.decode()
        fpr = next(ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:"))
        h.run(["--quick-add-key", fpr, "rsa2048", "sign", "1y"])
        secret = h.run(["--armor", "--export-secret-keys", fpr]).stdout
        public = h.run(["--armor", "--export", fpr]).stdout.decode()
    monkeypatch.setattr(detached, "sign_detached", _refuse("gpg"))
    monkeypatch.setattr(detached.RsaSigner, "sign", _refuse("OpenSSL"))
    asc = detached.sign_blobs(fpr, secret, [b"<repomd/>"], tmp_path)[0]
    assert "Good signature" in _gpgv(tmp_path, public, b"<repomd/>", asc)


def test_an_expired_key_signs_nothing_in_process(tmp_path: Path) -> None:
    """Sequoia's policy is asked first: an expired RSA key is not signed with by OpenSSL (gpg,
    which refuses it too, has the last word)."""
    with gpg_home(tmp_path) as h:
        h.run(["--faked-system-time", "20200101T000000", "--quick-gen-key",
               "Old <o@example.org>", "rsa2048", "sign", "1d"])  # fmt: skip
        out = h.run(["--with-colons", "--list-secret-keys"]).stdout.decode()
        fpr = next(ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:"))
        secret = h.run(["--armor", "--export-secret-keys", fpr]).stdout
    assert detached._sequoia_signer(fpr, secret) is None
    with pytest.raises(ServiceFailure):
        detached.sign_blobs(fpr, secret, [b"<repomd/>"], tmp_path)


def test_the_rsa_signer_refuses_another_key_and_a_protected_one(
    rsa_key: keys.KeyMaterial, rsa_key2: keys.KeyMaterial, tmp_path: Path
) -> None:
    with pytest.raises(openpgp.NotSimpleRsa, match="not the one named"):
        openpgp.RsaSigner.from_secret(rsa_key.secret, rsa_key2.info.fingerprint)
    with gpg_home(tmp_path) as h:
        h.run(["--passphrase", "pw", "--quick-gen-key", "L <l@example.org>", "rsa2048", "sign"])
        out = h.run(["--with-colons", "--list-secret-keys"]).stdout.decode()
        fpr = next(ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:"))
        locked = h.run(["--passphrase", "pw", "--armor", "--export-secret-keys", fpr]).stdout
    with pytest.raises(openpgp.NotSimpleRsa, match="protected"):
        openpgp.RsaSigner.from_secret(locked, fpr)


def test_openssl_signature_packet_matches_what_gpg_reads(
    rsa_key: keys.KeyMaterial, tmp_path: Path
) -> None:
    """A v4 binary-document signature, SHA256, by the key, with its creation time and issuer."""
    signer = openpgp.RsaSigner.from_secret(rsa_key.secret, rsa_key.info.fingerprint)
    asc = signer.sign_armored(b"<repomd/>", created=1_800_000_000)
    (tmp_path / "x.asc").write_text(asc)
    home = tmp_path / "list"
    home.mkdir(mode=0o700)
    out = subprocess.run(
        ["gpg", "--homedir", home, "--list-packets", tmp_path / "x.asc"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    fpr = rsa_key.info.fingerprint
    assert "version 4, created 1800000000" in out and "sigclass 0x00" in out
    assert "digest algo 8" in out and f"issuer fpr v4 {fpr}" in out
    assert f"keyid {fpr[-16:]}" in out
    assert "Good signature" in _gpgv(tmp_path, rsa_key.public_key, b"<repomd/>", asc)
