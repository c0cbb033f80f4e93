"""OpenPGP v4 detached signatures (RFC 4880 section 5.2.3) by an RSA key, the RSA operation done
by `cryptography` (OpenSSL): for repomd.xml, bytes the publisher rendered itself.

Why packets are framed here: the OpenPGP library Olivine uses, Sequoia (pysequoia), computes
RSA with its RustCrypto backend, about 15-20 ms per RSA 4096 signature on this machine, and does
not hand out the key's numbers to another backend; OpenSSL signs in 5-8 ms. `cryptography` does
the RSA but knows nothing of OpenPGP, and the pure-Python OpenPGP library that sits on it (PGPy)
has had no release since 2022 (a fork keeps it importing on Python 3.13). What is written here
is small and fixed: read the one RSA secret key packet of a transferable secret key made by gpg
(no passphrase: the signer signs unattended), and write one signature packet with two hashed
subpackets (creation time, issuer fingerprint) and the issuer key ID, armored. Every signature is
verified with the public key before it is returned, and its fingerprint is checked against the
one the database records; the tests check the result with gpgv, gpg and dnf (librepo).

Which keys: only what Sequoia accepts (signing.detached asks it first: policy, expiry,
revocation) and only a key whose secret is one RSA primary key packet without subkeys, so there
is no choice of signing key to make; anything else is signed by Sequoia as before.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

_SECRET_KEY, _SECRET_SUBKEY, _PUBLIC_SUBKEY, _SIGNATURE = 5, 7, 14, 2
_RSA = (1, 3)  # RSA (encrypt or sign), RSA sign-only
_SHA256 = 8
_BINARY_DOCUMENT = 0x00


class NotSimpleRsa(ValueError):
    """The key is not one this module signs with (the caller uses Sequoia instead)."""


def dearmor(data: bytes) -> bytes:
    """The binary packets of an armored block (or `data` itself when it is binary)."""
    if not data.lstrip().startswith(b"-----BEGIN PGP"):
        return data
    lines = data.decode("ascii").strip().splitlines()
    body: list[str] = []
    i = 1
    while i < len(lines) and lines[i].strip():  # armor headers end at the first empty line
        i += 1
    for ln in lines[i + 1 :]:
        ln = ln.strip()
        if ln.startswith("-----END") or ln.startswith("="):
            break
        body.append(ln)
    return base64.b64decode("".join(body))


def _packets(data: bytes) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        ctb = data[i]
        if not ctb & 0x80:
            raise NotSimpleRsa("not an OpenPGP packet")
        if ctb & 0x40:  # new format
            tag, o = ctb & 0x3F, data[i + 1]
            if o < 192:
                size, i = o, i + 2
            elif o < 224:
                size, i = ((o - 192) << 8) + data[i + 2] + 192, i + 3
            elif o == 255:
                size, i = int.from_bytes(data[i + 2 : i + 6], "big"), i + 6
            else:
                raise NotSimpleRsa("partial body lengths in a key")
        else:  # old format
            tag, ltype = (ctb >> 2) & 0x0F, ctb & 0x03
            if ltype == 3:
                raise NotSimpleRsa("indeterminate length in a key")
            n = 1 << ltype
            size, i = int.from_bytes(data[i + 1 : i + 1 + n], "big"), i + 1 + n
        if i + size > len(data):
            raise NotSimpleRsa("truncated packet")
        out.append((tag, data[i : i + size]))
        i += size
    return out


def _mpi(body: bytes, i: int) -> tuple[int, int]:
    bits = int.from_bytes(body[i : i + 2], "big")
    n = (bits + 7) // 8
    if i + 2 + n > len(body):
        raise NotSimpleRsa("truncated MPI")
    return int.from_bytes(body[i + 2 : i + 2 + n], "big"), i + 2 + n


def _mpi_bytes(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return value.bit_length().to_bytes(2, "big") + raw


@dataclass(frozen=True)
class RsaSigner:
    """One RSA signing key, held for one call (its numbers are never stored or logged)."""

    fingerprint: bytes  # v4: 20 bytes
    key: rsa.RSAPrivateKey = field(repr=False)

    @property
    def key_id(self) -> bytes:
        return self.fingerprint[-8:]

    @classmethod
    def from_secret(cls, secret: bytes, fingerprint: str) -> RsaSigner:
        """The signer of a transferable secret key that is one unprotected RSA v4 primary key
        (no subkeys) with this fingerprint; NotSimpleRsa otherwise."""
        packets = _packets(dearmor(secret))
        if any(t in (_SECRET_SUBKEY, _PUBLIC_SUBKEY) for t, _ in packets):
            raise NotSimpleRsa("the key has subkeys")
        keys = [body for t, body in packets if t == _SECRET_KEY]
        if len(keys) != 1:
            raise NotSimpleRsa("not one secret key packet")
        body = keys[0]
        if len(body) < 6 or body[0] != 4 or body[5] not in _RSA:
            raise NotSimpleRsa("not an RSA v4 key")
        n, i = _mpi(body, 6)
        e, i = _mpi(body, i)
        public = body[:i]
        fpr = hashlib.sha1(b"\x99" + len(public).to_bytes(2, "big") + public).digest()
        if fpr.hex().upper() != fingerprint.upper():
            raise NotSimpleRsa("the key is not the one named")
        if body[i] != 0:
            raise NotSimpleRsa("the secret is protected")
        start = i + 1
        d, i = _mpi(body, start)
        p, i = _mpi(body, i)
        q, i = _mpi(body, i)
        _u, i = _mpi(body, i)
        if int.from_bytes(body[i : i + 2], "big") != sum(body[start:i]) & 0xFFFF:
            raise NotSimpleRsa("the secret's checksum does not match")
        if p * q != n or min(p, q) < 3:
            raise NotSimpleRsa("inconsistent RSA numbers")
        numbers = rsa.RSAPrivateNumbers(
            p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n)
        )
        # OpenSSL's key check costs about 400 ms for RSA 4096; instead every signature is
        # verified with the public key (n, e: what the fingerprint names) before it leaves
        return cls(fpr, numbers.private_key(unsafe_skip_rsa_key_validation=True))

    def sign(self, data: bytes, created: int | None = None) -> bytes:
        """The binary signature packet over `data` (a binary document, SHA256)."""
        when = int(time.time()) if created is None else created
        hashed = _sub(2, when.to_bytes(4, "big")) + _sub(33, b"\x04" + self.fingerprint)
        head = bytes([4, _BINARY_DOCUMENT, 1, _SHA256]) + len(hashed).to_bytes(2, "big") + hashed
        trailer = b"\x04\xff" + len(head).to_bytes(4, "big")
        digest = hashlib.sha256(data + head + trailer).digest()
        sig = self.sign_digest(digest, hashes.SHA256())
        unhashed = _sub(16, self.key_id)
        body = (
            head
            + len(unhashed).to_bytes(2, "big")
            + unhashed
            + digest[:2]
            + _mpi_bytes(int.from_bytes(sig, "big"))
        )
        return _packet(_SIGNATURE, body)

    def sign_digest(self, digest: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
        """The PKCS#1 v1.5 RSA signature of a digest made with `algorithm`, verified with the
        public key before it is returned."""
        sig = self.key.sign(digest, PKCS1v15(), Prehashed(algorithm))
        try:
            self.key.public_key().verify(sig, digest, PKCS1v15(), Prehashed(algorithm))
        except InvalidSignature:
            raise NotSimpleRsa("the key made a signature that does not verify") from None
        return sig

    def sign_armored(self, data: bytes, created: int | None = None) -> str:
        return armor(self.sign(data, created))


def _sub(kind: int, data: bytes) -> bytes:
    size = len(data) + 1  # the type octet counts
    assert size < 192
    return bytes([size, kind]) + data


def _packet(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 192:
        size = bytes([n])
    elif n < 8384:
        n -= 192
        size = bytes([(n >> 8) + 192, n & 0xFF])
    else:
        size = b"\xff" + n.to_bytes(4, "big")
    return bytes([0xC0 | tag]) + size + body


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(packet: bytes) -> str:
    text = base64.b64encode(packet).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    crc = base64.b64encode(_crc24(packet).to_bytes(3, "big")).decode()
    body = "\n".join(lines)
    return f"-----BEGIN PGP SIGNATURE-----\n\n{body}\n={crc}\n-----END PGP SIGNATURE-----\n"
