"""What the transparency log records: typed leaves, each stored as canonical JSON bytes.

A leaf's bytes are what RFC 6962's leaf hash covers, so they must be reproducible by anybody:
keys sorted, no spaces, UTF-8. Four kinds: a build's provenance statement, a signed RPM, a
published repomd revision and a key revocation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from olivine.errors import ValidationFailed


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Leaf:
    kind: ClassVar[str] = ""

    def to_bytes(self) -> bytes:
        return canonical_json({"kind": self.kind, **asdict(self)})

    def dedup_key(self) -> str | None:
        """Appending the same fact twice adds nothing: leaves with a key are entered once."""
        return None


@dataclass(frozen=True)
class ProvenanceLeaf(Leaf):
    kind: ClassVar[str] = "provenance"
    project: str
    build_id: int
    statement_sha256: str  # sha256 of the exact statement bytes (the DSSE payload)
    envelope_sha256: str
    keyid: str

    def dedup_key(self) -> str:
        return f"provenance:{self.statement_sha256}"


@dataclass(frozen=True)
class SignedRpmLeaf(Leaf):
    kind: ClassVar[str] = "signed-rpm"
    project: str
    unsigned_sha256: str
    signed_sha256: str
    key_fingerprint: str
    header_sha256: str

    def dedup_key(self) -> str:
        return f"signed-rpm:{self.unsigned_sha256}:{self.key_fingerprint}"


@dataclass(frozen=True)
class RepomdLeaf(Leaf):
    kind: ClassVar[str] = "repomd"
    project: str
    repo: str
    arch: str
    revision: int
    repomd_sha256: str

    def dedup_key(self) -> str:
        return f"repomd:{self.project}:{self.repo}:{self.arch}:{self.revision}"


@dataclass(frozen=True)
class RevocationLeaf(Leaf):
    kind: ClassVar[str] = "key-revocation"
    project: str
    key_fingerprint: str
    revoked_at: str  # RFC 3339
    reason: str

    def dedup_key(self) -> str:
        return f"key-revocation:{self.project}:{self.key_fingerprint}"


KINDS: dict[str, type[Leaf]] = {
    k.kind: k for k in (ProvenanceLeaf, SignedRpmLeaf, RepomdLeaf, RevocationLeaf)
}


def parse_leaf(data: bytes) -> Leaf:
    """The typed leaf of these bytes; refuses anything that is not exactly canonical."""
    try:
        raw = json.loads(data)
        cls = KINDS[raw.pop("kind")]
        leaf = cls(**{f.name: raw[f.name] for f in fields(cls)})
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValidationFailed(f"not a transparency log leaf: {e}") from None
    if leaf.to_bytes() != data:
        raise ValidationFailed("transparency log leaf is not in canonical form")
    return leaf
