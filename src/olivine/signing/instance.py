"""The instance key: one Ed25519 key per Olivine instance that signs provenance and checkpoints.

It is made by the signing worker on its first start and stored only sealed under the signer's
KEK (purpose `instance:key:<keyid>`), so no other process can use it. There is no import and no
export: a manager holding a project key outside Olivine cannot forge a build's provenance. Only
the public half leaves the signer (`public_instance_key`, served at /api/v1/log/key).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from securesystemslib.signer import CryptoSigner, SSlibKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from olivine.db.base import Database
from olivine.db.models import InstanceKey
from olivine.errors import NotFound
from olivine.signing.checkpoint import verifier_key
from olivine.signing.sealing import Kek

NAME = "instance"


def log_origin(base_url: str) -> str:
    """The checkpoint origin (and note key name): the instance's URL without its scheme."""
    parts = urlsplit(base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/log"


def _purpose(keyid: str) -> str:
    return f"instance:key:{keyid}"


def sslib_key(public_key: bytes) -> SSlibKey:
    """The DSSE verification key; its keyid is securesystemslib's default for the key."""
    return SSlibKey.from_crypto(Ed25519PublicKey.from_public_bytes(public_key))


@dataclass(frozen=True)
class InstancePublicKey:
    public_key: bytes  # raw Ed25519
    keyid: str
    origin: str

    @property
    def pem(self) -> str:
        pub = Ed25519PublicKey.from_public_bytes(self.public_key)
        fmt = serialization.PublicFormat.SubjectPublicKeyInfo
        return pub.public_bytes(serialization.Encoding.PEM, fmt).decode()

    @property
    def note_key(self) -> str:
        return verifier_key(self.origin, self.public_key)


class InstanceSigner:
    """The loaded instance key. Lives only in the signing worker; its repr hides the key."""

    __slots__ = ("_private", "public")

    def __init__(self, private: Ed25519PrivateKey, origin: str) -> None:
        self._private = private
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public = InstancePublicKey(raw, sslib_key(raw).keyid, origin)

    def __repr__(self) -> str:
        return f"InstanceSigner(keyid={self.public.keyid})"

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def dsse_signer(self) -> CryptoSigner:
        return CryptoSigner(self._private, sslib_key(self.public.public_key))


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def load_or_create(db: Database, kek: Kek, origin: str) -> InstanceSigner:
    """The instance key, made on the first call (two signers racing make one key). `origin`
    names the log on creation and is kept with the key, so the API and every signer agree."""
    existing = _load(db, kek)
    if existing is not None:
        return existing
    key = Ed25519PrivateKey.generate()
    signer = InstanceSigner(key, origin)
    keyid = signer.public.keyid
    try:
        with db.session() as s:
            s.add(
                InstanceKey(
                    name=NAME,
                    algorithm="ed25519",
                    keyid=keyid,
                    public_key=signer.public.public_key.hex(),
                    origin=origin,
                    sealed_private=kek.seal(_raw_private(key), _purpose(keyid)),
                )
            )
    except IntegrityError:
        pass  # another signer made it first: use that one
    loaded = _load(db, kek)
    assert loaded is not None
    return loaded


def _published_keyid(db: Database) -> str | None:
    with db.session() as s:
        return s.scalar(select(InstanceKey.keyid).where(InstanceKey.name == NAME))


def _load(db: Database, kek: Kek) -> InstanceSigner | None:
    with db.session() as s:
        row = s.scalar(select(InstanceKey).where(InstanceKey.name == NAME))
        if row is None:
            return None
        raw, origin = kek.open(row.sealed_private, _purpose(row.keyid)), row.origin
    return InstanceSigner(Ed25519PrivateKey.from_private_bytes(raw), origin)


def public_instance_key(db: Database) -> InstancePublicKey:
    with db.session() as s:
        row = s.scalar(select(InstanceKey).where(InstanceKey.name == NAME))
        if row is None:
            raise NotFound("this instance has no instance key yet: start the signing worker")
        return InstancePublicKey(bytes.fromhex(row.public_key), row.keyid, row.origin)


def loader(db: Database, kek: Callable[[], Kek], origin: str) -> Callable[[], InstanceSigner]:
    """For the signing worker: the instance key, made or opened on first use, then kept while
    the database names it (one indexed SELECT a call): a signer never signs with a key the
    instance no longer publishes, should the row be replaced (a database restored, emptied)."""
    lock = threading.Lock()
    held: list[InstanceSigner] = []

    def get() -> InstanceSigner:
        with lock:
            if not held or held[0].public.keyid != _published_keyid(db):
                held[:] = [load_or_create(db, kek(), origin)]
            return held[0]

    return get
