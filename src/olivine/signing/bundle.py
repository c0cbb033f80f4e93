"""A verification bundle: everything `olivine verify` needs offline for one build's provenance.

    {"version": 1, "envelope": {DSSE}, "checkpoint": "<signed note>",
     "provenance": {"index": i, "leaf": b64, "proof": [hex...]},
     "revocations": [{"index", "leaf", "proof"}...], "signed_rpms": [...]}

Every log entry in it comes with its inclusion proof against the bundle's one checkpoint, so the
holder of the instance key's public half can check all of it without the server.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from olivine.db.base import Database
from olivine.db.models import LogLeaf, Project, Provenance, ProvenanceSubject
from olivine.errors import NotFound, ValidationFailed
from olivine.signing import logstore
from olivine.storage.interfaces import ObjectStore

VERSION = 1


@dataclass(frozen=True)
class LoggedLeaf:
    index: int
    leaf: bytes
    proof: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "leaf": base64.b64encode(self.leaf).decode(),
            "proof": [p.hex() for p in self.proof],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LoggedLeaf:
        return cls(
            int(d["index"]),
            base64.b64decode(d["leaf"], validate=True),
            tuple(bytes.fromhex(p) for p in d["proof"]),
        )


@dataclass(frozen=True)
class Bundle:
    envelope: dict[str, Any]
    checkpoint: str
    provenance: LoggedLeaf
    revocations: tuple[LoggedLeaf, ...] = field(default=())
    signed_rpms: tuple[LoggedLeaf, ...] = field(default=())  # signed copies of the outputs

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "envelope": self.envelope,
                "checkpoint": self.checkpoint,
                "provenance": self.provenance.to_dict(),
                "revocations": [r.to_dict() for r in self.revocations],
                "signed_rpms": [r.to_dict() for r in self.signed_rpms],
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Bundle:
        try:
            d = json.loads(text)
            if d.get("version") != VERSION:
                raise ValueError(f"version {d.get('version')!r}, this olivine reads {VERSION}")
            return cls(
                dict(d["envelope"]),
                str(d["checkpoint"]),
                LoggedLeaf.from_dict(d["provenance"]),
                tuple(LoggedLeaf.from_dict(r) for r in d.get("revocations", ())),
                tuple(LoggedLeaf.from_dict(r) for r in d.get("signed_rpms", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValidationFailed(f"not a verification bundle: {e}") from None


def _logged(db: Database, row: LogLeaf, size: int) -> LoggedLeaf:
    _, proof = logstore.inclusion(db, row.leaf_hash, size)
    return LoggedLeaf(row.index, row.data, tuple(proof))


def provenance_for_header(db: Database, header_sha256: str) -> Provenance:
    with db.session() as s:
        q = (
            select(Provenance)
            .join(ProvenanceSubject, ProvenanceSubject.provenance_id == Provenance.id)
            .where(
                ProvenanceSubject.algorithm == "rpmheader-sha256",
                ProvenanceSubject.digest == header_sha256.lower(),
            )
            .order_by(Provenance.id)
        )
        row = s.scalars(q).first()
        if row is None:
            raise NotFound(f"no provenance names an RPM with header digest {header_sha256}")
        return row


def provenance_for_build(db: Database, build_id: int) -> Provenance:
    with db.session() as s:
        row = s.scalar(select(Provenance).where(Provenance.build_id == build_id))
        if row is None:
            raise NotFound(f"build {build_id} has no provenance (yet)")
        return row


def make_bundle(db: Database, store: ObjectStore, prov: Provenance) -> Bundle:
    cp = logstore.latest_checkpoint(db)
    if prov.leaf_index >= cp.size:
        raise NotFound(f"build {prov.build_id}'s log entry is not under a signed checkpoint yet")
    envelope = json.loads(store.get_bytes(prov.envelope_sha256))
    with db.session() as s:
        leaf = s.get_one(LogLeaf, prov.leaf_index)
        project = s.get_one(Project, prov.project_id).name
        q = select(LogLeaf).where(
            LogLeaf.kind == "key-revocation",
            LogLeaf.dedup_key.like(f"key-revocation:{project}:%"),
            LogLeaf.index < cp.size,
        )
        revoked = list(s.scalars(q.order_by(LogLeaf.index)))
        signed = _signed_copies(s, prov.id, cp.size)
    return Bundle(
        envelope,
        cp.note,
        _logged(db, leaf, cp.size),
        tuple(_logged(db, r, cp.size) for r in revoked),
        tuple(_logged(db, r, cp.size) for r in signed),
    )


def _signed_copies(s: Session, provenance_id: int, size: int) -> list[LogLeaf]:
    """The log's signed-rpm entries for the files a provenance names."""
    q = select(ProvenanceSubject.digest).where(
        ProvenanceSubject.provenance_id == provenance_id, ProvenanceSubject.algorithm == "sha256"
    )
    out: list[LogLeaf] = []
    for sha in sorted(set(s.scalars(q))):
        rows = select(LogLeaf).where(
            LogLeaf.dedup_key.like(f"signed-rpm:{sha}:%"), LogLeaf.index < size
        )
        out += s.scalars(rows.order_by(LogLeaf.index))
    return out


def logged_repomd(db: Database, repomd_sha256: str) -> tuple[str, LoggedLeaf]:
    """The latest checkpoint and the log entry of a published repomd.xml, with its proof."""
    cp = logstore.latest_checkpoint(db)
    with db.session() as s:
        q = select(LogLeaf).where(LogLeaf.kind == "repomd", LogLeaf.index < cp.size)
        for row in s.scalars(q.order_by(LogLeaf.index.desc())):
            if json.loads(row.data).get("repomd_sha256") == repomd_sha256:
                return cp.note, _logged(db, row, cp.size)
    raise NotFound(f"no published repomd.xml with sha256 {repomd_sha256} is in the log")
