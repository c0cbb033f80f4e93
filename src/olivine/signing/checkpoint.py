"""Signed checkpoints of the transparency log, in the C2SP formats `tlog-checkpoint` and
`signed-note` (what Go's sumdb, Rekor v2 and transparency-dev witnesses speak):

    <origin>\\n<tree size>\\n<base64 root hash>\\ntimestamp <unix seconds>\\n
    \\n
    — <key name> <base64(4-byte key hash || Ed25519 signature of the text above the blank)>\\n

The key hash is SHA-256(name || 0x0A || 0x01 || public key)[:4] (0x01: the Ed25519 type). The
verifier key is written `<name>+<key hash hex>+<base64(0x01 || public key)>`. Hand-written: no
maintained Python package implements signed notes; the format is three lines of text.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from olivine.errors import IntegrityFailure

_ED25519 = b"\x01"
_DASH = "\u2014 "


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    timestamp: int

    def body(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.size}\n{root}\ntimestamp {self.timestamp}\n"


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    blob = base64.b64encode(_ED25519 + public_key).decode()
    return f"{name}+{key_hash(name, public_key).hex()}+{blob}"


def parse_verifier_key(text: str) -> tuple[str, bytes]:
    """(name, raw Ed25519 public key) of a verifier key line; checks its key hash."""
    try:
        name, hexhash, blob = text.strip().split("+", 2)
        raw = base64.b64decode(blob, validate=True)
    except ValueError:
        raise IntegrityFailure("not a signed-note verifier key (name+hash+base64)") from None
    if raw[:1] != _ED25519 or len(raw) != 33:
        raise IntegrityFailure("the verifier key is not an Ed25519 key")
    if key_hash(name, raw[1:]).hex() != hexhash:
        raise IntegrityFailure("the verifier key's hash does not match its name and key")
    return name, raw[1:]


def sign_note(cp: Checkpoint, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> str:
    body = cp.body()
    sig = base64.b64encode(key_hash(name, public_key) + sign(body.encode())).decode()
    return f"{body}\n{_DASH}{name} {sig}\n"


def open_note(note: str, name: str, public_key: bytes) -> Checkpoint:
    """The checkpoint of a signed note, if `public_key` (named `name`) signed it."""
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise IntegrityFailure("checkpoint is not a signed note (no blank line)")
    body += "\n"
    want = key_hash(name, public_key)
    for line in sigs.splitlines():
        if not line.startswith(_DASH):
            continue
        signer, _, blob = line[len(_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            continue
        if signer != name or raw[:4] != want:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], body.encode())
        except InvalidSignature:
            raise IntegrityFailure(f"checkpoint signature by {name} does not verify") from None
        return _parse_body(body)
    raise IntegrityFailure(f"checkpoint is not signed by the instance key {name}")


def _parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")
    try:
        origin, size, root, ts = lines[0], int(lines[1]), base64.b64decode(lines[2]), lines[3]
        if not ts.startswith("timestamp ") or len(root) != 32:
            raise ValueError
        return Checkpoint(origin, size, root, int(ts.split(" ", 1)[1]))
    except (ValueError, IndexError):
        raise IntegrityFailure("checkpoint body is not origin, size, root, timestamp") from None
