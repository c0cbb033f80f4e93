"""The signer's inbox: how a private key a manager uploads reaches the signer, sealed.

The API process holds no KEK, so it cannot seal an uploaded key itself; and the key must not
travel in a Temporal payload. So the signer publishes an X25519 public key (its private half is
sealed under the KEK), the API encrypts the upload to it (ephemeral X25519, HKDF-SHA256,
AES-256-GCM: an ECIES construction from `cryptography`'s primitives, which has no one-call
sealed box) and stores only that ciphertext; the signer opens it by request id.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import undefer

from olivine.db.base import Database
from olivine.db.models.signing import SignerInbox
from olivine.errors import Conflict, IntegrityFailure
from olivine.signing.sealing import Kek

PURPOSE = "signer:inbox"
_VERSION = b"\x01"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _key(shared: bytes, public_hex: str) -> bytes:
    info = b"olivine key import " + public_hex.encode()
    return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(shared)


def ensure_inbox(db: Database, kek: Kek) -> X25519PrivateKey:
    """The signer's inbox key, made on the first start of a signer with this KEK."""
    with db.session() as s:
        row = s.scalar(
            select(SignerInbox)
            .options(undefer(SignerInbox.sealed_private))
            .order_by(SignerInbox.id.desc())
        )
        if row is not None:
            try:
                raw = kek.open(row.sealed_private, PURPOSE)
                return X25519PrivateKey.from_private_bytes(raw)
            except IntegrityFailure:
                pass  # another KEK made it: this signer makes its own, newer one
        priv = X25519PrivateKey.generate()
        raw = priv.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        public = priv.public_key().public_bytes(*_RAW).hex()
        s.add(SignerInbox(public_key=public, sealed_private=kek.seal(raw, PURPOSE)))
        return priv


def seal_for_signer(db: Database, plaintext: bytes) -> bytes:
    """Encrypt `plaintext` to the newest signer's inbox (the API side)."""
    with db.session() as s:
        public_hex = s.scalar(select(SignerInbox.public_key).order_by(SignerInbox.id.desc()))
    if public_hex is None:
        raise Conflict(
            "no signing worker has started yet (olivine worker --queue olivine-sign, with "
            "OLIVINE_SIGNING_KEK_FILE): it must be running to import a key"
        )
    eph = X25519PrivateKey.generate()
    shared = eph.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)))
    nonce = secrets.token_bytes(12)
    body = AESGCM(_key(shared, public_hex)).encrypt(nonce, plaintext, public_hex.encode())
    return (
        _VERSION + bytes.fromhex(public_hex) + eph.public_key().public_bytes(*_RAW) + nonce + body
    )


def open_sealed(priv: X25519PrivateKey, blob: bytes) -> bytes:
    """Open what the API sealed (the signer side)."""
    public_hex = priv.public_key().public_bytes(*_RAW).hex()
    if blob[:1] != _VERSION or blob[1:33].hex() != public_hex:
        raise IntegrityFailure(
            "the uploaded key was sealed for another signer inbox: upload it again"
        )
    eph, nonce, body = blob[33:65], blob[65:77], blob[77:]
    shared = priv.exchange(X25519PublicKey.from_public_bytes(eph))
    try:
        return AESGCM(_key(shared, public_hex)).decrypt(nonce, body, public_hex.encode())
    except InvalidTag:
        raise IntegrityFailure("the uploaded key does not open with this signer's inbox") from None
