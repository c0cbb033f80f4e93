"""repomd.xml signatures made in the signer's process (Sequoia), and gpg for the keys Sequoia's
policy refuses; each checked by gpgv against the public key alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from olivine.signing import detached, keys
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


def test_sequoia_signs_each_repomd_and_gpgv_verifies(
    rsa_key: keys.KeyMaterial, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_gpg(*_a: object) -> list[str]:
        raise AssertionError("gpg was used for a key Sequoia signs with")

    monkeypatch.setattr(detached, "sign_detached", no_gpg)
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
