"""Making a build's provenance on the signer: facts from the database, the SBOM, the statement
signed by the instance key in a DSSE envelope, both stored by sha256, a provenance row with its
subjects by digest, and a leaf in the transparency log. Idempotent: a build gets one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from securesystemslib.dsse import Envelope
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from olivine.db.base import Database
from olivine.db.models import Build, Provenance, ProvenanceSubject
from olivine.signing import logstore
from olivine.signing.facts import load_facts
from olivine.signing.instance import InstanceSigner
from olivine.signing.leaves import ProvenanceLeaf
from olivine.signing.provenance import HEADER_DIGEST, PAYLOAD_TYPE, statement, subjects
from olivine.signing.sbom import sbom
from olivine.storage.interfaces import ObjectStore


@dataclass(frozen=True)
class ProvenanceRecord:
    build_id: int
    project_id: int
    statement_sha256: str
    envelope_sha256: str
    sbom_sha256: str
    leaf_index: int
    keyid: str


def _record(row: Provenance) -> ProvenanceRecord:
    return ProvenanceRecord(
        row.build_id,
        row.project_id,
        row.statement_sha256,
        row.envelope_sha256,
        row.sbom_sha256,
        row.leaf_index,
        row.keyid,
    )


def envelope_line(payload: bytes, signer: InstanceSigner) -> bytes:
    """One line of a .intoto.jsonl file: the DSSE envelope of `payload`."""
    env = Envelope(payload, PAYLOAD_TYPE, {})
    env.sign(signer.dsse_signer())
    return json.dumps(env.to_dict(), sort_keys=True, separators=(",", ":")).encode() + b"\n"


def existing(db: Database, build_id: int) -> ProvenanceRecord | None:
    with db.session() as s:
        row = s.scalar(select(Provenance).where(Provenance.build_id == build_id))
        return _record(row) if row else None


def make_provenance(
    db: Database, store: ObjectStore, signer: InstanceSigner, build_id: int, base_url: str
) -> ProvenanceRecord:
    done = existing(db, build_id)
    if done is not None:
        return done
    facts = load_facts(db, store, build_id, base_url)
    sbom_sha = store.put_bytes(sbom(facts)).sha256
    sbom_uri = f"{base_url}/provenance/{facts.project}/{build_id}.spdx.json"
    payload = statement(facts, sbom_sha, sbom_uri)
    env_sha = store.put_bytes(envelope_line(payload, signer)).sha256
    stmt_sha = hashlib.sha256(payload).hexdigest()
    keyid = signer.public.keyid
    leaf = ProvenanceLeaf(facts.project, build_id, stmt_sha, env_sha, keyid)
    appended = logstore.append(db, leaf, signer)
    try:
        with db.session() as s:
            row = Provenance(
                build_id=build_id,
                project_id=s.get_one(Build, build_id).project_id,
                statement_sha256=stmt_sha,
                envelope_sha256=env_sha,
                sbom_sha256=sbom_sha,
                leaf_index=appended.index,
                keyid=keyid,
            )
            s.add(row)
            s.flush()
            for name, sha, hdr in subjects(facts.outputs):
                for algorithm, digest in (("sha256", sha), (HEADER_DIGEST, hdr)):
                    s.add(
                        ProvenanceSubject(
                            provenance_id=row.id, name=name, algorithm=algorithm, digest=digest
                        )
                    )
            return _record(row)
    except IntegrityError:
        again = existing(db, build_id)
        assert again is not None
        return again
