"""Detached signatures of repomd.xml, made in the signer's own process: RSA keys through
OpenSSL (signing.openpgp), other keys with Sequoia-PGP (pysequoia), and gpg
(rpmsign.sign_detached) for a key Sequoia's policy refuses.

repomd.xml is bytes the publisher rendered (never upstream content), so nothing attacker-shaped
is parsed next to the key, and no second process is needed: the secret, which the signer has
just opened with its KEK, is parsed for the length of this call and dropped with it. Nothing of
it reaches a disk, a log or an error. This is what makes a signed +1 publish cheap: gpg costs a
tmpfs mount, an agent, a key import and one gpg process per file (about 25 ms of setup and
40-90 ms per signature here); Sequoia signs one RSA 4096 file in about 15-20 ms with no setup,
OpenSSL in about 6-8 ms. Sequoia decides first whether the key may sign at all (its standard
policy: expiry, revocation, weak self-signatures), so every path signs with the same keys. A
signature either way is an OpenPGP v4 detached signature (SHA256) that gpg, gpgv and librepo
verify against RPM-GPG-KEY.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pysequoia import SignatureMode, Tsk, sign

from olivine.signing.openpgp import NotSimpleRsa, RsaSigner
from olivine.signing.rpmsign import sign_detached


def _sequoia_signer(fingerprint: str, secret: bytes) -> Any | None:
    """Sequoia's signer for this key, or None when its policy refuses the key (SHA-1
    self-signatures of an old imported key, say); no detail of the key is kept."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            tsk = Tsk.from_bytes(secret)
            if tsk.extract_certificate().fingerprint.upper() != fingerprint.upper():
                return None
            return tsk.signer()
    except Exception:  # pysequoia raises plain exceptions; gpg decides instead
        return None


def _sequoia(fingerprint: str, secret: bytes, blobs: Sequence[bytes]) -> list[str] | None:
    """The armored signatures by Sequoia, or None when Sequoia cannot sign with this key."""
    signer = _sequoia_signer(fingerprint, secret)
    if signer is None:
        return None
    try:
        return [sign(signer, b, mode=SignatureMode.DETACHED).decode() for b in blobs]
    except Exception:
        return None


def rsa_signer(fingerprint: str, secret: bytes) -> RsaSigner | None:
    """The OpenSSL signer of this key when Sequoia's policy accepts the key and its secret is
    one RSA primary key without subkeys (signing.openpgp), else None."""
    if _sequoia_signer(fingerprint, secret) is None:
        return None
    try:
        return RsaSigner.from_secret(secret, fingerprint)
    except (NotSimpleRsa, ValueError, IndexError):
        return None


def _openssl(fingerprint: str, secret: bytes, blobs: Sequence[bytes]) -> list[str] | None:
    """The armored signatures through OpenSSL when the key is one RSA key, else None."""
    try:
        rsa = RsaSigner.from_secret(secret, fingerprint)
        return [rsa.sign_armored(b) for b in blobs]
    except (NotSimpleRsa, ValueError, IndexError):
        return None


def sign_blobs(
    fingerprint: str, secret: bytes, blobs: Sequence[bytes], runtime_dir: Path | None = None
) -> list[str]:
    """Armored detached signatures of `blobs` with the key `fingerprint` (one signature for
    identical blobs: two repos of the same content have the same repomd.xml)."""
    return once_each(blobs, lambda unique: _sign_unique(fingerprint, secret, unique, runtime_dir))


def once_each(blobs: Sequence[bytes], sign: Callable[[list[bytes]], list[str]]) -> list[str]:
    """`sign` called on the distinct blobs only, its answers given for every blob (two repos of
    the same content have the same repomd.xml: one signature serves both)."""
    if not blobs:
        return []
    unique = list(dict.fromkeys(blobs))
    made = dict(zip(unique, sign(unique), strict=True))
    return [made[b] for b in blobs]


def _sign_unique(
    fingerprint: str, secret: bytes, blobs: Sequence[bytes], runtime_dir: Path | None
) -> list[str]:
    if _sequoia_signer(fingerprint, secret) is None:
        return sign_detached(fingerprint, secret, blobs, runtime_dir)
    out = _openssl(fingerprint, secret, blobs) or _sequoia(fingerprint, secret, blobs)
    if out is None:
        out = sign_detached(fingerprint, secret, blobs, runtime_dir)
    return out
